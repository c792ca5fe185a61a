import type { ModelResult, ModelStatus } from './result.js';
import { encodeHistogram, mergeEncoded, summarizeMs } from '../metrics/histogram.js';

/**
 * `run --repeat N`: N rows of one model become one row (see `repeats` in result.ts for what each
 * field then means). Pure over the rows, except that histograms need initHistograms() first.
 */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Field by field median of objects of one shape; a null field stays null only when every one is null. */
function medianOf<T>(objs: T[]): T {
  const first = objs[0] as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(first)) {
    const vals = objs.map((o) => (o as Record<string, unknown>)[key]);
    if (vals.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) out[key] = medianOf(vals);
    else {
      const nums = vals.filter((v): v is number => typeof v === 'number');
      out[key] = nums.length ? median(nums) : first[key];
    }
  }
  return out as T;
}

const STATUS_RANK: Record<ModelStatus, number> = { ok: 0, 'client-bound': 1, failed: 2 };

/**
 * A storm or fault outcome over the repeats: the median of each figure, unless some repeat had
 * clients that never came back (null times), in which case that repeat's outcome: a median would
 * hide the failure. undefined when a repeat lacks it.
 */
function combineOutcome<T extends { allBackMs: number | null; caughtUpMs: number | null }>(outcomes: (T | undefined)[]): T | undefined {
  if (outcomes.length === 0 || outcomes.some((o) => o === undefined)) return undefined;
  const all = outcomes as T[];
  return all.find((o) => o.allBackMs === null || o.caughtUpMs === null) ?? medianOf(all);
}

/** The storm and fault outcomes of the combined row (see combineOutcome). */
function combinedOutcomes(runs: ModelResult[]): Pick<ModelResult, 'recovery' | 'faults'> {
  const out: Pick<ModelResult, 'recovery' | 'faults'> = {};
  const recovery = combineOutcome(runs.map((r) => r.recovery));
  if (recovery) out.recovery = recovery;
  const count = runs[0]!.faults?.length ?? 0;
  if (count > 0 && runs.every((r) => r.faults?.length === count)) {
    const faults = runs[0]!.faults!.map((_, i) => combineOutcome(runs.map((r) => r.faults![i])));
    if (faults.every((f) => f !== undefined)) out.faults = faults;
  }
  return out;
}

/** One row for the repeats of a model so far; a single repeat is returned as it is. */
export function combineRepeats(rows: ModelResult[]): ModelResult {
  if (rows.length === 1) return rows[0]!;
  const runs = rows.map(({ repeats: _r, ...row }) => row as ModelResult);
  const worst = runs.reduce((a, r) => (STATUS_RANK[r.status] > STATUS_RANK[a.status] ? r : a), runs[0]!);
  const combined: ModelResult = {
    model: runs[0]!.model,
    matrix: runs[0]!.matrix,
    status: worst.status,
    complete: runs.every((r) => r.complete),
    clients: {
      target: runs[0]!.clients.target,
      connected: Math.min(...runs.map((r) => r.clients.connected)),
      failed: Math.max(...runs.map((r) => r.clients.failed)),
    },
    reconnects: sumOf(runs, (r) => r.reconnects),
    errors: summedCounts(runs.map((r) => r.errors)),
    messages: summedMessages(runs),
    ...mergedLatency(runs),
    ...medianFigures(runs),
    ...combinedOutcomes(runs),
    repeats: runs,
  };
  summedServerCounts(combined, runs);
  if (worst.status !== 'ok')
    combined.statusReason = `repeat ${runs.indexOf(worst) + 1} of ${runs.length}: ${worst.statusReason ?? worst.status}`;
  const err = runs.find((r) => r.error)?.error;
  if (err) combined.error = err;
  return combined;
}

const sumOf = (runs: ModelResult[], f: (r: ModelResult) => number) => runs.reduce((a, r) => a + f(r), 0);

/** Counts by name (errors by code) added up over the repeats. */
function summedCounts(all: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const counts of all) for (const [k, v] of Object.entries(counts)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** The message counts added up over the repeats. */
function summedMessages(runs: ModelResult[]): ModelResult['messages'] {
  return {
    published: sumOf(runs, (r) => r.messages.published),
    expected: sumOf(runs, (r) => r.messages.expected),
    delivered: sumOf(runs, (r) => r.messages.delivered),
    lost: sumOf(runs, (r) => r.messages.lost),
    duplicates: sumOf(runs, (r) => r.messages.duplicates),
    reordered: sumOf(runs, (r) => r.messages.reordered),
  };
}

/** Latency over every repeat's deliveries: one histogram of them all, and its summary in ms. */
function mergedLatency(runs: ModelResult[]): Pick<ModelResult, 'latencyMs' | 'histogram'> {
  const merged = mergeEncoded(runs.map((r) => r.histogram));
  const latencyMs = summarizeMs(merged);
  const histogram = encodeHistogram(merged);
  merged.destroy();
  return { latencyMs, histogram };
}

type MedianFigures = Pick<
  ModelResult,
  'connectMs' | 'deliveriesPerSec' | 'server' | 'client' | 'wire' | 'timing' | 'tls' | 'connections' | 'proxy'
>;

/** The figures that are medians over the repeats that produced figures; a failed repeat's zeros would drag them down. */
function medianFigures(runs: ModelResult[]): MedianFigures {
  const measured = runs.filter((r) => r.status !== 'failed');
  const pool = measured.length ? measured : runs;
  return medianOf(
    pool.map((r) => ({
      connectMs: r.connectMs,
      deliveriesPerSec: r.deliveriesPerSec,
      server: r.server,
      client: r.client,
      wire: r.wire,
      timing: r.timing,
      tls: r.tls,
      connections: r.connections,
      proxy: r.proxy,
    })),
  );
}

/** Counts, like the other counters: the totals over the repeats, not their medians (TLS errors, dead peers, slow readers cut). */
function summedServerCounts(combined: ModelResult, runs: ModelResult[]): void {
  combined.tls = { ...combined.tls, serverErrors: summedCounts(runs.map((r) => r.tls.serverErrors)) };
  for (const counter of ['deadPeers', 'slowReaderCuts'] as const)
    if (runs.some((r) => r.server[counter] !== undefined))
      combined.server = { ...combined.server, [counter]: sumOf(runs, (r) => r.server[counter] ?? 0) };
}

export interface Spread {
  min: number;
  max: number;
  median: number;
  /** Repeats the spread was taken over. */
  n: number;
}

/** Min, max and median of a figure over a row's repeats; undefined for a single run. */
export function spreadOf(row: ModelResult, value: (r: ModelResult) => number | null): Spread | undefined {
  const runs = (row.repeats ?? []).filter((r) => r.status !== 'failed');
  if (runs.length < 2) return undefined;
  const vals = runs.map(value).filter((v): v is number => v !== null);
  if (vals.length < 2) return undefined;
  return { min: Math.min(...vals), max: Math.max(...vals), median: median(vals), n: vals.length };
}
