import { z } from 'zod';

/**
 * The shape of a run result as compare, report and the renderers read it (docs/contract.md, kind
 * `run`): the fields they use, with their types; every other field may be anything, as a reader
 * ignores fields it does not know. A file edited by hand or cut short is refused with the path
 * of what is wrong instead of failing inside a renderer.
 */
const figure = z.number().nullable();
const count = z.number();
const times = z.looseObject({ p50: figure, p99: figure, max: figure });

const row = z.looseObject({
  model: z.string(),
  matrix: z.record(z.string(), z.union([z.string(), z.number()])),
  status: z.enum(['ok', 'client-bound', 'failed']),
  statusReason: z.string().optional(),
  complete: z.boolean(),
  clients: z.looseObject({ target: count, connected: count, failed: count }),
  reconnects: count,
  errors: z.record(z.string(), count),
  messages: z.looseObject({ published: count, expected: count, delivered: count, lost: count, duplicates: count, reordered: count }),
  latencyMs: z.looseObject({ p50: figure, p90: figure, p99: figure, p999: figure, max: figure, mean: figure, count }),
  histogram: z.string(),
  // The transport (schemaVersion 5): absent in older results, which are read with it as not measured.
  connectMs: z.looseObject({ p50: figure, p99: figure, max: figure, tcp: times.optional(), tls: times.optional() }),
  tls: z
    .looseObject({
      enabled: z.boolean(),
      protocol: z.string().nullable(),
      cipher: z.string().nullable(),
      handshakes: count,
      resumedFraction: figure,
      fullHandshakeMs: times,
      resumedHandshakeMs: times,
      serverErrors: z.record(z.string(), count),
    })
    .optional(),
  connections: z.looseObject({ opened: count, openedPerSec: figure, timeWaitServer: figure, timeWaitClient: figure }).optional(),
  proxy: z
    .looseObject({
      kind: z.enum(['none', 'nginx', 'haproxy', 'via']),
      version: z.string().nullable(),
      rssPerConnectionBytes: figure,
      cpuUsPerMessage: figure,
      cpuPercent: figure,
      peakRssBytes: figure,
    })
    .optional(),
  deliveriesPerSec: figure,
  server: z.looseObject({
    rssPerConnectionBytes: figure,
    rssPerConnectionBytesBound: figure.optional(),
    cpuUsPerMessageBound: figure.optional(),
    publishSpinCpuUsPerMessage: figure.optional(),
    publishLagUs: z.looseObject({ p50: figure, p99: figure, max: count }).nullable().optional(),
    publishHandoffUs: z.looseObject({ p50: figure, p99: figure, max: count }).nullable().optional(),
    heapPerConnectionBytes: figure,
    kernelPerConnectionBytes: figure,
    cpuPercent: figure,
    cpuUsPerMessage: figure,
    peakRssBytes: figure,
    openSockets: figure,
    deadPeers: count.optional(),
    slowReaderCuts: count.optional(),
  }),
  client: z.looseObject({
    workers: count,
    rssPerClientBytes: figure,
    rssPerClientBytesBound: figure.optional(),
    cpuUsPerMessageBound: figure.optional(),
    cpuPercent: figure,
    cpuUsPerMessage: figure,
    eventLoopDelayP99Ms: figure,
    peakRssBytes: figure,
    busyPoll: z.literal(true).optional(),
  }),
  wire: z.looseObject({
    serverBytesPerMessage: figure,
    serverReceivedBytesPerMessage: figure,
    requestsPerMessage: figure,
    heartbeatBytesPerConnectionPerMinute: figure,
  }),
  timing: z.looseObject({ rampUpMs: count, measuredMs: count, drainMs: count }),
  error: z.looseObject({ code: z.string(), message: z.string() }).optional(),
  recovery: z.looseObject({}).optional(),
  faults: z.array(z.looseObject({})).optional(),
  processes: z.array(z.looseObject({})).optional(),
  clock: z
    .looseObject({
      boundUs: count,
      shards: z.array(z.looseObject({ shard: count, offsetUs: count, boundUs: count, driftPpm: count, driftBoundPpm: count })),
    })
    .optional(),
});

export const modelRowSchema = row.extend({ repeats: z.array(row).optional() });

export const runResultSchema = z.looseObject({
  tool: z.looseObject({ version: z.string() }),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  complete: z.boolean(),
  env: z.looseObject({ node: z.string(), platform: z.string(), arch: z.string(), cpus: count, memoryBytes: count }),
  scenario: z.looseObject({
    name: z.string(),
    description: z.string(),
    clients: count,
    durationMs: count,
    workload: z.looseObject({ pattern: z.string(), ratePerSec: count, payloadBytes: count }),
    thresholds: z.record(z.string(), z.string()).optional(),
  }),
  models: z.array(modelRowSchema),
  repeat: count.optional(),
  thresholds: z.array(z.looseObject({ target: z.string(), condition: z.string(), passed: z.boolean(), message: z.string() })).optional(),
});
