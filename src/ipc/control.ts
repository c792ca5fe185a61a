/**
 * Every message of the control API (`connbench serve --control`, docs/contract.md, Control API):
 * what a shard's runner (`run --target`) asks of a server it did not fork, and the answers. The
 * requests are the ones the runner sends its own server processes over IPC (src/ipc/server.ts),
 * put as one model run shared by n shards: begin, the barrier when every shard's clients are
 * connected, the window's samples, the expected counts, the end. Requests come from the network,
 * so each is checked against its schema before anything reads it. Timestamps are the server's
 * monotonic microseconds.
 */
import { z } from 'zod';
import { isModelId } from '../models/index.js';
import type { Ports } from '../models/listeners.js';
import type { ResourceSample } from '../metrics/process.js';
import type { WireBytes } from './common.js';

/** The longest a request may ask the server to hold it (a barrier not yet reached): under common proxies' 60 s idle limits. */
export const MAX_WAIT_MS = 25_000;
/** Shards of one run at most: a shard is at least one client worker process on a host of its own. */
export const MAX_SHARDS = 10_000;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const waitMs = z.number().int().min(0).max(MAX_WAIT_MS);
const runId = z.string().min(1).max(100);
const shardIndex = z
  .number()
  .int()
  .min(0)
  .max(MAX_SHARDS - 1);

/** One model run of one matrix point and repeat, the same for every shard of a `run --target`. */
const runKey = z.strictObject({
  /** The scenario, every point and the shard count, hashed: shards of different runs never meet. */
  fingerprint: z.string().regex(/^[0-9a-f]{16,64}$/),
  point: z.number().int().min(0),
  model: z.string().refine(isModelId, 'not a model id'),
  repeat: z.number().int().min(1),
});

const shardRef = z
  .strictObject({ index: shardIndex, count: z.number().int().min(1).max(MAX_SHARDS) })
  .refine((s) => s.index < s.count, 'shard index must be below the shard count');

const expectedWorker = z.strictObject({
  firstClientId: count,
  stride: z.number().int().min(1).max(MAX_SHARDS),
  queries: z.array(z.strictObject({ user: z.string().max(200).optional(), afterSeq: count.optional() })),
});

export const toControlSchema = z.discriminatedUnion('type', [
  /** Starts the model run (the first shard) or joins it; `scenario` is the point as a scenario file says it (src/scenario/inputOf.ts). */
  z.strictObject({ type: z.literal('begin'), key: runKey, shard: shardRef, scenario: z.record(z.string(), z.unknown()) }),
  /** This shard's clients are connected (or failed): held until every shard has said so, then released with the window. */
  z.strictObject({ type: z.literal('connected'), runId, shard: shardIndex, clients: count, waitMs }),
  /** The server's own sample at an edge of the measured window, taken when the edge came (measureEnd after the closing burst). */
  z.strictObject({ type: z.literal('point'), runId, point: z.enum(['measureStart', 'measureEnd']), waitMs }),
  /** A sample now, with every server process's usage: a shard's last. */
  z.strictObject({ type: z.literal('sample'), runId }),
  /**
   * Expected messages per client of each of this shard's workers. With chat, `sentByInbox` is what
   * this shard's users sent, and the answer (held until every shard has sent its own) what each
   * address is owed over all shards.
   */
  z.strictObject({
    type: z.literal('expected'),
    runId,
    shard: shardIndex,
    workers: z.array(expectedWorker).max(10_000),
    upToSeq: count,
    sentByInbox: z.record(z.string().max(200), count).optional(),
    waitMs,
  }),
  z.strictObject({ type: z.literal('head'), runId }),
  /** This shard is done; held until every shard is, when the server processes stop (they close first, so TIME_WAIT stays on the server). */
  z.strictObject({ type: z.literal('end'), runId, shard: shardIndex, waitMs }),
  z.strictObject({ type: z.literal('status') }),
]);

export type ToControl = z.infer<typeof toControlSchema>;
export type RunKey = z.infer<typeof runKey>;
export type ExpectedWorker = z.infer<typeof expectedWorker>;

/** Several server processes' samples as one server's (sums), with the host's kernel TCP memory where the point reads it. */
export interface ServerFigures {
  sample: ResourceSample;
  wireBytes: WireBytes;
  heartbeatBytes: number;
  deadPeers: number;
  /** Connections the processes cut as slow readers. */
  slowReaderCuts: number;
  /** Microseconds the publishers spent spinning (PUBLISH_SPIN_COUNTER); absent from servers that do not report it. */
  publishSpinUs?: number;
  peakRssBytes: number;
  /** Every named counter of the server processes, summed (e.g. `tlsClientErrors.<code>`). */
  counters: Record<string, number>;
  /** Host-wide TCP buffer memory (/proc/net/sockstat): at `base` and `connected`; absent where not read. */
  kernelBytes?: number;
}

/** The servers' memory at a point: the last of several samples after forced GC, and every sample per process. */
export interface ServerMemoryFigures {
  server: ServerFigures;
  serverRepeats: ResourceSample[][];
}

/** When publishing starts (t0Us), the measured window opens (measureFromUs) and publishing ends (publishUntilUs): the server's clock. */
export interface WindowUs {
  t0Us: number;
  measureFromUs: number;
  publishUntilUs: number;
}

/** A server process as the result's `processes` lists it. */
export interface ServerUsage {
  index: number;
  pid: number;
  peakRssBytes: number;
  openSockets: number;
  acceptedBySourceAddress: Record<string, number>;
}

export type FromControl =
  | { type: 'begun'; runId: string; ports: Ports[]; base: ServerMemoryFigures }
  /** Not yet: ask again (the wait asked for passed first). */
  | { type: 'pending' }
  /** `missing`: shards that had not connected when the barrier gave up waiting for them. */
  /** `idle`: the servers' CPU over the moment just before, every client connected and no message sent. */
  | {
      type: 'released';
      window: WindowUs;
      connected: ServerMemoryFigures & { idle: { cpuUs: number; durationUs: number } };
      missing: number[];
    }
  /**
   * `publishLags` and `publishHandoffs`: at measureEnd, each process's publisher lateness and
   * handoff in the window (encoded µs histograms). A server from before handoffs sends none.
   */
  | { type: 'point'; figures: ServerFigures; lastSeq: number; publishLags: string[]; publishHandoffs?: string[] }
  | { type: 'sample'; figures: ServerFigures; usage: ServerUsage[] }
  | { type: 'expected'; counts: number[][]; owedByInbox?: Record<string, number> }
  | { type: 'head'; lastSeq: number }
  /** `stopped`: the server processes were stopped; false when the wait passed with some shard still running. */
  | { type: 'ended'; stopped: boolean }
  | { type: 'status'; state: 'idle' | 'running'; run?: { runId: string; model: string; shards: number; phase: string } }
  /** `POST /control/results`: the shard result was kept under this name. */
  | { type: 'stored'; name: string }
  /** `GET /control/results`: every shard result kept, oldest first. */
  | { type: 'results'; results: unknown[] }
  | { type: 'error'; code: string; message: string; hint?: string };
