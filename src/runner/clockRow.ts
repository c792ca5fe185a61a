import type { OffsetEstimate } from '../metrics/clockOffset.js';
import { clockFigures } from '../metrics/clockOffset.js';
import type { RowClock, ShardClock } from '../report/result.js';

/** One worker's two estimates of the offset to the server's clock: before the window (applied) and after it. */
export interface WorkerClock {
  before: OffsetEstimate;
  after?: OffsetEstimate;
}

/** Each worker's estimates, in worker order. */
export function workerClocks(before: OffsetEstimate[], after: OffsetEstimate[] | undefined): WorkerClock[] {
  return before.map((b, i) => (after?.[i] ? { before: b, after: after[i] } : { before: b }));
}

const tenth = (us: number) => Math.round(us * 10) / 10;
/** A bound is rounded up, never down: it must still hold. */
const tenthUp = (us: number) => Math.ceil(us * 10) / 10;

/**
 * A shard's clock as its row reports it. Every worker corrected its own receive times by its own
 * estimate, so the bound on the shard's latencies is the largest of theirs; the offset and drift
 * shown are those of the worker whose estimate is tightest. Pure.
 */
export function shardClockOf(shard: number, workers: WorkerClock[]): ShardClock {
  const figures = workers.map((w) => clockFigures(w.before, w.after));
  const best = figures.reduce((a, f) => (f.before.boundUs < a.before.boundUs ? f : a));
  return {
    shard,
    offsetUs: tenth(best.offsetUs),
    boundUs: tenthUp(Math.max(...figures.map((f) => f.boundUs))),
    driftPpm: Math.round(best.driftPpm * 100) / 100,
    driftBoundPpm: Math.ceil(best.driftBoundPpm * 100) / 100,
    minRttUs: tenth(Math.min(...figures.map((f) => f.before.minRttUs))),
  };
}

/** The row's clock over its shards: every latency of the row is within boundUs of the truth. Pure. */
export function clockOfRun(shards: { shard: number; workers: WorkerClock[] }[]): RowClock | undefined {
  const withWorkers = shards.filter((s) => s.workers.length > 0);
  if (withWorkers.length === 0) return undefined;
  const each = withWorkers.map((s) => shardClockOf(s.shard, s.workers));
  return { boundUs: Math.max(...each.map((c) => c.boundUs)), shards: each };
}
