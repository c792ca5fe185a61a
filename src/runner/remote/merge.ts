import { SCHEMA_VERSION, type ModelResult, type ProcessUsage, type RunResult } from '../../report/result.js';
import { unfinishedModelResult } from '../../report/partial.js';
import { combineRepeats } from '../../report/repeats.js';
import { decodeHistogram } from '../../metrics/histogram.js';
import { inputError, runError } from '../../util/errors.js';
import { TOOL_VERSION } from '../../util/version.js';
import { summarizeModelRun, type RawModelRun, type ServerWindow } from '../resultRow.js';
import { summarizeStorm } from '../stormRecovery.js';
import { clockOfRun } from '../clockRow.js';
import type { ShardModel, ShardResult, ShardRun } from './shardResult.js';

/** A shard result and the file (or URL) it came from, for messages. */
export interface ShardInput {
  file: string;
  r: ShardResult;
}

type Measured = Extract<ShardRun, { status: 'measured' }>;

/** An HDR bucket count must stay below 2^31: past it hdr-histogram-js's WASM decoder reads counts wrong. */
const MAX_HISTOGRAM_COUNT = 2 ** 31 - 1;

/**
 * The shards of one run as one result, as if one machine had run every client (docs/contract.md,
 * `connbench merge`): each model run's workers, client samples and histograms together, the
 * server's own samples once, then the row built by the same function a run uses
 * (summarizeModelRun), so histograms are added, never percentiles averaged. Shards that ran
 * something else are refused (CB_ERR_SHARD_MISMATCH, exit 2); missing shards are named in
 * `missing`, and the result is then not complete.
 */
export function mergeShards(inputs: ShardInput[]): { result: RunResult; missing: number[] } {
  if (inputs.length === 0) throw inputError('CB_ERR_USAGE', 'merge needs at least one shard result');
  checkSameRun(inputs);
  const sorted = [...inputs].sort((a, b) => a.r.shard.index - b.r.shard.index);
  const n = sorted[0]!.r.shard.count;
  const present = new Set(sorted.map((x) => x.r.shard.index));
  const absent = Array.from({ length: n }, (_, i) => i).filter((i) => !present.has(i));
  const ref = sorted[0]!.r;
  const models = ref.models.map((m) => mergeModel(m, sorted, n, absent));
  // A shard whose file lacks a model run (killed before it finished it) is missing too.
  const missing = [...new Set([...absent, ...models.flatMap((m) => m.shards?.missing ?? [])])].sort((a, b) => a - b);
  const finished = sorted.map((x) => x.r.finishedAt);
  const result: RunResult = {
    schemaVersion: SCHEMA_VERSION,
    kind: 'run',
    tool: { name: 'connbench', version: TOOL_VERSION },
    startedAt: sorted.map((x) => x.r.startedAt).sort()[0]!,
    finishedAt: finished.some((f) => f === null) ? null : finished.sort().at(-1)!,
    complete: missing.length === 0 && sorted.every((x) => x.r.complete) && models.every((m) => m.complete),
    env: ref.env,
    scenario: ref.scenario,
    models,
    shards: { count: n, merged: sorted.map((x) => x.r.shard.index), missing },
    ...(ref.repeat ? { repeat: ref.repeat } : {}),
  };
  return { result, missing };
}

function mismatch(message: string): Error {
  return inputError(
    'CB_ERR_SHARD_MISMATCH',
    message,
    'merge the results of one `run --target … --shard i/n`: the same scenario, flags and shard count',
  );
}

/** Every file must be a shard of the same run: shard count, histogram layout, scenario, model list, no index twice. */
function checkSameRun(inputs: ShardInput[]): void {
  const [first, ...rest] = inputs;
  const a = first!.r;
  const seen = new Map<number, string>([[a.shard.index, first!.file]]);
  for (const { file, r } of rest) {
    const other = seen.get(r.shard.index);
    if (other !== undefined) throw mismatch(`${other} and ${file} are both shard ${r.shard.index}/${r.shard.count}`);
    seen.set(r.shard.index, file);
    if (r.shard.count !== a.shard.count) {
      throw mismatch(
        `${first!.file} is shard ${a.shard.index} of ${a.shard.count}, but ${file} is shard ${r.shard.index} of ${r.shard.count}`,
      );
    }
    if (JSON.stringify(r.histogram) !== JSON.stringify(a.histogram)) {
      throw mismatch(
        `${file} recorded histograms as ${JSON.stringify(r.histogram)}, ${first!.file} as ${JSON.stringify(a.histogram)}: they do not add up exactly`,
      );
    }
    const models = (x: ShardResult) => x.scenario.models.join(',');
    if (models(r) !== models(a)) throw mismatch(`${file} ran the models ${models(r)}, but ${first!.file} ran ${models(a)}`);
    const diff = firstDifference(a.scenario, r.scenario);
    if (diff !== undefined) throw mismatch(`${file} ran another scenario than ${first!.file}: ${diff}`);
    if (r.shard.fingerprint !== a.shard.fingerprint) {
      throw mismatch(
        `${file} and ${first!.file} ran other matrix points or repeats (fingerprints ${r.shard.fingerprint} and ${a.shard.fingerprint})`,
      );
    }
  }
}

/** The first path where two JSON values differ, with both values; undefined when equal. */
export function firstDifference(a: unknown, b: unknown, path = 'scenario'): string | undefined {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : `${path} is ${JSON.stringify(b)} there and ${JSON.stringify(a)} here`;
}

/** One model at one point: its repeats merged over the shards, then combined as `run --repeat` combines them. */
function mergeModel(m: ShardModel, shards: ShardInput[], n: number, missingShards: number[]): ModelResult {
  const runsOf = (x: ShardInput) => x.r.models.find((e) => e.point === m.point && e.model === m.model)?.runs ?? [];
  const repeats = Math.max(...shards.map((x) => runsOf(x).length));
  const rows: ModelResult[] = [];
  for (let k = 0; k < repeats; k++) {
    const parts = shards.map((x) => ({ shard: x.r.shard.index, run: runsOf(x)[k] }));
    const lacking = [...missingShards, ...parts.filter((p) => p.run === undefined).map((p) => p.shard)].sort((a, b) => a - b);
    rows.push(mergeRepeat(m, parts, n, lacking));
  }
  if (rows.length === 0)
    return unfinishedModelResult(m.model, m.matrix, m.clients, { code: 'CB_ERR_SHARD_MISSING', message: 'no shard ran it' }, false);
  if (rows.length === 1) return rows[0]!;
  // Over repeats: the shards any repeat had or lacked, and the loosest clock bound of any repeat.
  const combined = combineRepeats(rows);
  const union = (f: (s: NonNullable<ModelResult['shards']>) => number[]) =>
    [...new Set(rows.flatMap((r) => (r.shards ? f(r.shards) : [])))].sort((a, b) => a - b);
  combined.shards = { merged: union((s) => s.merged), missing: union((s) => s.missing) };
  const clocks = rows.flatMap((r) => (r.clock ? [r.clock] : []));
  if (clocks.length > 0) combined.clock = clocks.reduce((a, c) => (c.boundUs > a.boundUs ? c : a));
  return combined;
}

/** One model run over the shards that have it; a failure in any shard fails the row, naming the shard. */
function mergeRepeat(m: ShardModel, parts: { shard: number; run: ShardRun | undefined }[], n: number, lacking: number[]): ModelResult {
  const failed = parts.find((p) => p.run?.status === 'failed');
  if (failed && failed.run?.status === 'failed') {
    const e = failed.run.error;
    const row = unfinishedModelResult(
      m.model,
      m.matrix,
      m.clients,
      { code: e.code, message: `shard ${failed.shard}/${n}: ${e.message}` },
      !failed.run.interrupted,
    );
    row.shards = { merged: parts.filter((p) => p.run).map((p) => p.shard), missing: lacking };
    return row;
  }
  const measured = parts.flatMap((p) => (p.run?.status === 'measured' ? [{ shard: p.shard, run: p.run }] : []));
  const row = rowOf(measured);
  row.shards = { merged: measured.map((p) => p.shard), missing: lacking };
  if (lacking.length > 0) {
    row.complete = false;
    const why = `shard${lacking.length > 1 ? 's' : ''} ${lacking.join(', ')} of ${n} missing: ${row.clients.target} of ${m.clients} clients counted`;
    row.statusReason = row.statusReason ? `${why}; ${row.statusReason}` : why;
  }
  return row;
}

/** The row of one model run from its shards' parts: everything they measured together, summarized once. */
function rowOf(parts: { shard: number; run: Measured }[]): ModelResult {
  const raws = parts.map((p) => p.run.raw);
  const first = raws[0]!;
  raws.forEach((r, i) => checkSameServerRun(first.server, r.server, parts[0]!.shard, parts[i]!.shard, first.model));
  const raw: RawModelRun = {
    ...first,
    drainMs: Math.max(...raws.map((r) => r.drainMs)),
    // Chat: each shard read the head after its own drain; sends still arriving then raise it.
    published: Math.max(...raws.map((r) => r.published)),
    workers: raws.flatMap((r) => r.workers),
    server: {
      ...first.server,
      peakRssBytes: Math.max(...raws.map((r) => r.server.peakRssBytes)),
      deadPeers: Math.max(...raws.map((r) => r.server.deadPeers ?? 0)),
      slowReaderCuts: Math.max(...raws.map((r) => r.server.slowReaderCuts ?? 0)),
    },
    client: {
      base: raws.flatMap((r) => r.client.base),
      connected: raws.flatMap((r) => r.client.connected),
      measureStart: raws.flatMap((r) => r.client.measureStart),
      measureEnd: raws.flatMap((r) => r.client.measureEnd),
    },
    memoryRepeats: {
      ...first.memoryRepeats,
      clientBase: raws.flatMap((r) => r.memoryRepeats.clientBase),
      clientConnected: raws.flatMap((r) => r.memoryRepeats.clientConnected),
    },
    idle: idleOf(raws),
    processes: processesOf(parts),
    ...transportOf(raws),
  };
  const row = summarizeModelRun(raw);
  checkCounts(raw, row);
  const recovery = summarizeStorm(
    raw.workers.flatMap((w) => (w.storm ? [w.storm] : [])),
    parts[0]!.run.t0Us,
  );
  if (recovery) row.recovery = recovery;
  const clock = clockOfRun(parts.map((p) => ({ shard: p.shard, workers: p.run.clocks })));
  if (clock) row.clock = clock;
  return row;
}

/**
 * The connections of every shard's clients together: each shard counted the connections its own
 * workers opened at its own edges of the one window, and the TIME_WAIT its host holds (the server's
 * side is out of its sight). TLS and intermediaries are refused across hosts: the rest is the first's.
 */
function transportOf(raws: RawModelRun[]): Pick<RawModelRun, 'transport'> {
  const all = raws.flatMap((r) => (r.transport ? [r.transport] : []));
  // A shard written without them: the merged row's are not measured either.
  if (all.length < raws.length) return { transport: undefined };
  const clientTimeWait = all.every((t) => t.timeWait) ? all.reduce((a, t) => a + t.timeWait!.client, 0) : undefined;
  return {
    transport: {
      ...all[0]!,
      reports: all.flatMap((t) => t.reports),
      openedAtStart: all.reduce((a, t) => a + t.openedAtStart, 0),
      openedAtEnd: all.reduce((a, t) => a + t.openedAtEnd, 0),
      timeWait: clientTimeWait === undefined ? undefined : { client: clientTimeWait },
    },
  };
}

/**
 * The idle CPU of every process together, over the first shard's settle: each shard timed its own
 * settle, so its workers' idle CPU counts at its own rate (the server's is the same in every shard).
 */
function idleOf(raws: RawModelRun[]): RawModelRun['idle'] {
  const durationUs = raws[0]!.idle.durationUs;
  const clientCpuUs = raws.reduce((a, r) => a + (r.idle.clientCpuUs * durationUs) / Math.max(1, r.idle.durationUs), 0);
  return { serverCpuUs: raws[0]!.idle.serverCpuUs, clientCpuUs, durationUs };
}

/** Shards of one model run got the server's samples from one run of it: the same at every point but the last. */
function checkSameServerRun(a: ServerWindow, b: ServerWindow, shardA: number, shardB: number, model: string): void {
  const shared = (w: ServerWindow) => JSON.stringify([w.base, w.connected, w.measureStart, w.measureEnd, w.wireStart, w.wireEnd]);
  if (shared(a) !== shared(b)) {
    throw mismatch(
      `shards ${shardA} and ${shardB} report different server samples for ${model}: they did not share one model run of the server`,
    );
  }
}

/** The server processes once (as last sampled by any shard), then every shard's workers, each with its shard. */
function processesOf(parts: { shard: number; run: Measured }[]): ProcessUsage[] {
  const servers = new Map<number, ProcessUsage>();
  for (const p of parts) {
    for (const u of p.run.raw.processes ?? []) {
      if (u.role !== 'server') continue;
      const seen = servers.get(u.index);
      servers.set(
        u.index,
        seen
          ? { ...seen, peakRssBytes: Math.max(seen.peakRssBytes, u.peakRssBytes), openSockets: Math.max(seen.openSockets, u.openSockets) }
          : u,
      );
    }
  }
  const clients = parts.flatMap((p) =>
    (p.run.raw.processes ?? []).filter((u) => u.role === 'client').map((u) => ({ ...u, shard: p.shard })),
  );
  return [...[...servers.values()].sort((a, b) => a.index - b.index), ...clients];
}

/** Exactness, checked: the merged histogram counts what the workers' histograms count, and no count passes what the decoder reads right. */
function checkCounts(raw: RawModelRun, row: ModelResult): void {
  let sum = 0;
  for (const w of raw.workers) {
    if (!w.histogram) continue;
    const h = decodeHistogram(w.histogram);
    const count = h.totalCount;
    h.destroy();
    if (count > MAX_HISTOGRAM_COUNT)
      throw runError(
        'CB_ERR_MERGE_OVERFLOW',
        `a worker's histogram of ${row.model} counts ${count} deliveries, past the ${MAX_HISTOGRAM_COUNT} its encoding holds`,
      );
    sum += count;
  }
  if (sum !== row.latencyMs.count) {
    throw runError(
      'CB_ERR_MERGE_INEXACT',
      `the merged histogram of ${row.model} counts ${row.latencyMs.count} deliveries, the shards' workers ${sum}`,
    );
  }
}
