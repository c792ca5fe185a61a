import { beforeAll, describe, expect, it } from 'vitest';
import {
  HISTOGRAM_LAYOUT,
  LatencyRecorder,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  initHistograms,
} from '../../src/metrics/histogram.js';
import { mergeShards, type ShardInput } from '../../src/runner/remote/merge.js';
import { fingerprintOf, type ShardResult, type ShardRun } from '../../src/runner/remote/shardResult.js';
import type { RawModelRun } from '../../src/runner/resultRow.js';
import type { WorkerResult } from '../../src/ipc/worker.js';
import type { ResourceSample } from '../../src/metrics/process.js';
import { SCHEMA_VERSION } from '../../src/report/result.js';
import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { ConnbenchError } from '../../src/util/errors.js';
import { cpuPerMessageBound } from '../../src/metrics/bounds.js';

/**
 * `connbench merge` over synthetic shards with real encoded histograms: 30 clients, client c in
 * shard c mod 3, two workers per shard, 2,000 deliveries per client from a seeded heavy-tailed
 * distribution (plus 1 µs and 3e9 µs extremes). The merged row must count exactly what the
 * shards counted, and its histogram must be the histogram of every sample recorded in one.
 */
const CLIENTS = 30;
const SHARDS = 3;
const PER_CLIENT = 2000;

/** mulberry32: the same samples every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Client c's latencies, µs: log-normal around 2 ms, and the extremes on clients 0 and 29. */
function samplesOf(c: number): number[] {
  const r = prng(1000 + c);
  const out = Array.from({ length: PER_CLIENT }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return Math.max(1, Math.round(Math.exp(7.6 + 1.1 * z)));
  });
  if (c === 0) out.push(1, 1_234_567_891);
  if (c === 29) out.push(3_000_000_000);
  return out;
}

const point: Scenario = expandMatrix(validateScenario({ name: 'merge-test', models: ['websocket'], clients: CLIENTS }))[0]!;
const sample = (atUs: number, rssBytes: number): ResourceSample => ({
  pid: 7,
  rssBytes,
  heapUsedBytes: rssBytes / 2,
  cpuUserUs: atUs / 10,
  cpuSystemUs: 0,
  atUs,
  openSockets: CLIENTS,
});
const wire = { sentBytes: 1000, receivedBytes: 100, httpRequests: 0 };

function workerResult(clients: number[]): WorkerResult {
  const rec = new LatencyRecorder();
  let delivered = 0;
  for (const c of clients) for (const v of samplesOf(c)) (rec.recordValue(v), delivered++);
  const connect = createHistogram();
  for (const _c of clients) connect.recordValue(500);
  const r: WorkerResult = {
    histogram: encodeHistogram(rec),
    connectHistogram: encodeHistogram(connect),
    target: clients.length,
    connected: clients.length,
    failed: 0,
    reconnects: 0,
    errors: {},
    expected: delivered + (clients.includes(4) ? 3 : 0),
    delivered,
    lost: clients.includes(4) ? 3 : 0,
    duplicates: 0,
    reordered: 0,
    gapped: 0,
    sent: 0,
    sendFailures: 0,
    caughtUp: true,
    eventLoopDelayP99Ms: 1,
    eventLoopDelayMaxMs: 2,
    peakRssBytes: 50e6,
  };
  rec.histogram.destroy();
  connect.destroy();
  return r;
}

/** Shard i's result: its clients c ≡ i (mod 3) over two workers, and the server's samples every shard got alike. */
function shardOf(i: number, edit: (r: ShardResult) => void = () => undefined): ShardInput {
  const mine = Array.from({ length: CLIENTS }, (_, c) => c).filter((c) => c % SHARDS === i);
  const half = Math.ceil(mine.length / 2);
  const workers = [workerResult(mine.slice(0, half)), workerResult(mine.slice(half))];
  const raw: RawModelRun = {
    model: 'websocket',
    matrix: {},
    durationMs: 10_000,
    rampUpMs: 1000,
    drainMs: 100 + i,
    published: 200,
    workers,
    server: {
      base: sample(0, 40e6),
      connected: sample(1e6, 40e6 + CLIENTS * 10_000),
      measureStart: sample(2e6, 41e6),
      measureEnd: sample(12e6, 41e6),
      wireStart: wire,
      wireEnd: { ...wire, sentBytes: 1000 + 600_000 },
      heartbeatBytesStart: 0,
      heartbeatBytesEnd: 0,
      peakRssBytes: 45e6 + i,
      deadPeers: 0,
      kernelBaseBytes: 1e6,
      kernelConnectedBytes: 2e6,
    },
    client: {
      base: workers.map(() => sample(0, 30e6)),
      connected: workers.map(() => sample(1e6, 31e6)),
      measureStart: workers.map(() => sample(2e6, 31e6)),
      measureEnd: workers.map(() => sample(12e6, 31e6)),
    },
    memoryRepeats: {
      serverBase: [[sample(0, 40e6), sample(0, 40e6)]],
      serverConnected: [[sample(1e6, 40e6 + CLIENTS * 10_000), sample(1e6, 40e6 + CLIENTS * 10_000)]],
      clientBase: workers.map(() => [sample(0, 30e6)]),
      clientConnected: workers.map(() => [sample(1e6, 31e6)]),
    },
    // Each shard timed its own settle (i + 1 seconds), its workers idle at 500 µs of CPU per second.
    idle: { serverCpuUs: 2000 * (i + 1), clientCpuUs: 500 * (i + 1), durationUs: 1e6 * (i + 1) },
    publishTimes: { lags: [], handoffs: [] },
    processes: [
      { role: 'server', index: 0, pid: 7, peakRssBytes: 45e6 + i, openSockets: CLIENTS, acceptedBySourceAddress: {} },
      { role: 'client', index: 0, pid: 100 + i, peakRssBytes: 50e6, openSockets: half },
      { role: 'client', index: 1, pid: 200 + i, peakRssBytes: 50e6, openSockets: mine.length - half },
    ],
  };
  const est = (offsetUs: number, boundUs: number) => ({ offsetUs, boundUs, minRttUs: 2 * boundUs, atUs: 0, exchanges: 300 });
  const run: ShardRun = { status: 'measured', t0Us: 0, raw, clocks: [{ before: est(i * 1e9, 30 + i) }, { before: est(i * 1e9 + 2, 40) }] };
  const { matrix: _m, ...scenario } = point;
  const r: ShardResult = {
    schemaVersion: SCHEMA_VERSION,
    kind: 'shard',
    tool: { name: 'connbench', version: 'test' },
    startedAt: `2026-01-01T00:00:0${i}.000Z`,
    finishedAt: `2026-01-01T00:01:0${i}.000Z`,
    complete: true,
    env: { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2, memoryBytes: 1 },
    scenario,
    shard: { index: i, count: SHARDS, fingerprint: fingerprintOf([point], SHARDS, 1), target: 'http://a:8080', clients: [mine.length] },
    histogram: HISTOGRAM_LAYOUT,
    models: [{ model: 'websocket', point: 0, matrix: {}, clients: CLIENTS, runs: [run] }],
  };
  edit(r);
  return { file: `s${i}.json`, r };
}

function mergeError(inputs: ShardInput[]): ConnbenchError {
  try {
    mergeShards(inputs);
  } catch (err) {
    expect(err).toBeInstanceOf(ConnbenchError);
    return err as ConnbenchError;
  }
  throw new Error('expected the merge to be refused');
}

beforeAll(() => initHistograms());

describe('connbench merge (synthetic shards, real histograms)', () => {
  it('adds histograms exactly: the merged one is the histogram of every sample, and counts are sums', () => {
    const { result, missing } = mergeShards([shardOf(2), shardOf(0), shardOf(1)]);
    expect(missing).toEqual([]);
    expect(result).toMatchObject({ kind: 'run', complete: true, shards: { count: 3, merged: [0, 1, 2], missing: [] } });
    const row = result.models[0]!;
    const all = createHistogram();
    for (let c = 0; c < CLIENTS; c++) for (const v of samplesOf(c)) all.recordValue(v);
    const merged = decodeHistogram(row.histogram);
    expect(merged.totalCount).toBe(CLIENTS * PER_CLIENT + 3);
    expect(row.latencyMs.count).toBe(all.totalCount);
    const percentiles = [...Array.from({ length: 201 }, (_, k) => k / 2), 99.9, 99.99, 99.999, 99.9999];
    for (const p of percentiles) expect(merged.getValueAtPercentile(p), `p${p}`).toBe(all.getValueAtPercentile(p));
    expect(merged.mean).toBe(all.mean);
    expect(encodeHistogram(merged)).toBe(encodeHistogram(all));
    merged.destroy();
    all.destroy();
    expect(row.clients).toEqual({ target: CLIENTS, connected: CLIENTS, failed: 0 });
    // Client 4 is in shard 1: its 3 lost messages, once.
    expect(row.messages).toMatchObject({ published: 200, lost: 3, delivered: CLIENTS * PER_CLIENT + 3 });
    // Server figures once, over every shard's connected clients: (40e6 + 30 × 10,000 − 40e6) / 30.
    expect(row.server.rssPerConnectionBytes).toBe(10_000);
    expect(row.server.peakRssBytes).toBe(45e6 + 2);
    expect(row.client.workers).toBe(6);
    expect(row.processes!.filter((p) => p.role === 'client').map((p) => p.shard)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(row.clock).toMatchObject({ boundUs: 40, shards: [{ shard: 0, offsetUs: 0 }, { shard: 1, offsetUs: 1e9 }, { shard: 2 }] });
    // Idle CPU at each shard's own rate, over one settle: 3 × 500 µs in 1 s for the workers, 2000 µs for the server.
    const deliveries = CLIENTS * PER_CLIENT + 3;
    expect(row.client.cpuUsPerMessageBound).toBe(cpuPerMessageBound(1500, 1e6, 10e6, deliveries));
    expect(row.server.cpuUsPerMessageBound).toBe(cpuPerMessageBound(2000, 1e6, 10e6, deliveries));
  });

  it("adds up the shards' connections: opened over the run and in the window, and the TIME_WAIT each host holds", () => {
    const tcp = new LatencyRecorder();
    tcp.recordValue(300);
    const empty = new LatencyRecorder();
    const [tcpHistogram, none] = [encodeHistogram(tcp), encodeHistogram(empty)];
    tcp.histogram.destroy();
    empty.histogram.destroy();
    const report = (opened: number) => ({
      opened,
      tcpHistogram,
      tlsFullHistogram: none,
      tlsResumedHistogram: none,
      handshakes: 0,
      resumed: 0,
    });
    // Shard i: its two workers opened 100 + i connections each, 50 of them in the window; its host holds 7 + i in TIME_WAIT.
    const withTransport = (i: number) =>
      shardOf(i, (r) => {
        const run = r.models[0]!.runs[0]!;
        if (run.status !== 'measured') return;
        run.raw.transport = {
          tlsEnabled: false,
          reports: [report(100 + i), report(100 + i)],
          openedAtStart: 10 * (i + 1),
          openedAtEnd: 10 * (i + 1) + 50,
          timeWait: { client: 7 + i },
          serverCounters: {},
          proxy: { kind: 'none', version: null, peakRssBytes: 0 },
        };
      });
    const row = mergeShards([withTransport(0), withTransport(1), withTransport(2)]).result.models[0]!;
    // 6 workers' 100 + i each; 3 × 50 in the 10 s window; the server's side is on its own host, out of sight.
    expect(row.connections).toEqual({ opened: 2 * (100 + 101 + 102), openedPerSec: 15, timeWaitServer: null, timeWaitClient: 7 + 8 + 9 });
    expect(row.connectMs.tcp.p50).toBe(0.3);
    expect(row.tls.enabled).toBe(false);
    expect(row.proxy.kind).toBe('none');
    // A shard without them (written before): the merged row's are not measured.
    expect(mergeShards([withTransport(0), shardOf(1), withTransport(2)]).result.models[0]!.connections.opened).toBe(0);
  });

  it('names missing shards and does not call the result complete', () => {
    const { result, missing } = mergeShards([shardOf(0), shardOf(1)]);
    expect(missing).toEqual([2]);
    expect(result.complete).toBe(false);
    const row = result.models[0]!;
    expect(row.complete).toBe(false);
    expect(row.shards).toEqual({ merged: [0, 1], missing: [2] });
    expect(row.statusReason).toBe('shard 2 of 3 missing: 20 of 30 clients counted');
    // A shard killed before it finished the model: its file has no run of it.
    const killed = shardOf(2, (r) => {
      r.models[0]!.runs = [];
      r.complete = false;
    });
    const withKilled = mergeShards([shardOf(0), shardOf(1), killed]);
    expect(withKilled.result.models[0]!.shards).toEqual({ merged: [0, 1], missing: [2] });
    expect(withKilled.missing).toEqual([2]);
    expect(withKilled.result.complete).toBe(false);
  });

  it('a model run that failed in one shard fails the row, naming the shard', () => {
    const failed = shardOf(1, (r) => {
      r.models[0]!.runs = [{ status: 'failed', interrupted: false, error: { code: 'CB_ERR_CHILD_EXITED', message: 'worker died' } }];
    });
    const row = mergeShards([shardOf(0), failed, shardOf(2)]).result.models[0]!;
    expect(row).toMatchObject({ status: 'failed', error: { code: 'CB_ERR_CHILD_EXITED', message: 'shard 1/3: worker died' } });
  });

  it('refuses shards of different runs with exit 2, naming the difference', () => {
    const longer = mergeError([shardOf(0), shardOf(1, (r) => void (r.scenario.durationMs = 20_000))]);
    expect(longer).toMatchObject({ code: 'CB_ERR_SHARD_MISMATCH', kind: 'input' });
    expect(longer.message).toBe('s1.json ran another scenario than s0.json: scenario.durationMs is 20000 there and 10000 here');
    const models = mergeError([shardOf(0), shardOf(1, (r) => void (r.scenario.models = ['websocket', 'tcp']))]);
    expect(models.message).toBe('s1.json ran the models websocket,tcp, but s0.json ran websocket');
    const count = mergeError([shardOf(0), shardOf(1, (r) => void (r.shard.count = 4))]);
    expect(count.message).toBe('s0.json is shard 0 of 3, but s1.json is shard 1 of 4');
    const twice = mergeError([shardOf(1), { ...shardOf(1), file: 'again.json' }]);
    expect(twice.message).toBe('s1.json and again.json are both shard 1/3');
    const digits = mergeError([shardOf(0), shardOf(1, (r) => void (r.histogram = { ...HISTOGRAM_LAYOUT, significantDigits: 2 } as never))]);
    expect(digits.message).toContain('do not add up exactly');
    const otherRun = mergeError([
      shardOf(0),
      shardOf(1, (r) => {
        const run = r.models[0]!.runs[0]!;
        if (run.status === 'measured') run.raw.server.connected = sample(1e6, 99e6);
      }),
    ]);
    expect(otherRun.message).toBe(
      'shards 0 and 1 report different server samples for websocket: they did not share one model run of the server',
    );
  });
});
