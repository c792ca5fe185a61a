import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Scenario } from '../../scenario/schema.js';
import type { ProcessUsage, ResultHeader } from '../../report/result.js';
import { SCHEMA_VERSION } from '../../report/result.js';
import { HISTOGRAM_LAYOUT } from '../../metrics/histogram.js';
import { inputError } from '../../util/errors.js';
import type { RawModelRun } from '../resultRow.js';
import type { WorkerClock } from '../clockRow.js';

/**
 * A shard's partial result (kind `shard`, docs/contract.md): what its workers measured of each
 * model run, before it became a row (their encoded histograms and counters, their clock offsets),
 * with the server's own samples, so `connbench merge` builds the row of all shards as one machine
 * running every client would have (src/runner/resultRow.ts, summarizeModelRun).
 */
export interface ShardResult extends ResultHeader {
  schemaVersion: typeof SCHEMA_VERSION;
  kind: 'shard';
  shard: {
    index: number;
    count: number;
    /** The scenario's every point, the repeat count and the shard count, hashed: shards of one run share it. */
    fingerprint: string;
    /** The control API this shard ran against. */
    target: string;
    /** Clients of this shard per matrix point. */
    clients: number[];
  };
  /** The layout every histogram here was recorded with; the merge adds histograms of one layout only. */
  histogram: typeof HISTOGRAM_LAYOUT;
  repeat?: number;
  models: ShardModel[];
}

/** One model at one matrix point: a run per repeat, in order. */
export interface ShardModel {
  model: string;
  /** The matrix point's index and its axis values. */
  point: number;
  matrix: Record<string, number | string>;
  /** The point's clients over every shard. */
  clients: number;
  runs: ShardRun[];
}

export type ShardRun =
  | {
      status: 'measured';
      /** When publishing started, the server's clock (storm and fault times count from it). */
      t0Us: number;
      raw: RawModelRun;
      clocks: WorkerClock[];
    }
  | { status: 'failed'; interrupted: boolean; error: { code: string; message: string }; processes?: ProcessUsage[] };

/** The fingerprint of a sharded run: shards that share it ran the same points, repeats and shard count. */
export function fingerprintOf(points: Scenario[], shardCount: number, repeat: number): string {
  return createHash('sha256').update(JSON.stringify({ points, shardCount, repeat })).digest('hex').slice(0, 32);
}

const MERGE_HINT = 'pass the files that `connbench run --target URL --shard i/n` wrote, one per shard';

/** Checks that a parsed document is a shard result this version reads; `file` names it in every problem. */
export function checkShardResult(v: unknown, file: string): ShardResult {
  const r = v as Partial<ShardResult> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r))
    throw inputError('CB_ERR_SHARD_INVALID', `${file} is not a shard result`, MERGE_HINT);
  if (r.kind !== 'shard') {
    throw inputError(
      'CB_ERR_RESULT_KIND',
      `${file} is a ${JSON.stringify(r.kind ?? null)} result; merge reads the partial results of shards (kind "shard")`,
      MERGE_HINT,
    );
  }
  if (r.schemaVersion !== SCHEMA_VERSION) {
    throw inputError(
      'CB_ERR_RESULT_SCHEMA',
      `${file} has schemaVersion ${JSON.stringify(r.schemaVersion ?? null)}; this connbench merges schemaVersion ${SCHEMA_VERSION}`,
      'run every shard and the merge with the same version of connbench',
    );
  }
  const s = r.shard;
  const ok =
    typeof s === 'object' &&
    s !== null &&
    Number.isInteger(s.index) &&
    Number.isInteger(s.count) &&
    s.index >= 0 &&
    s.index < s.count &&
    typeof s.fingerprint === 'string' &&
    Array.isArray(r.models) &&
    typeof r.scenario === 'object' &&
    r.scenario !== null;
  if (!ok) throw inputError('CB_ERR_SHARD_INVALID', `${file} lacks its shard, scenario or models`, MERGE_HINT);
  return r as ShardResult;
}

/** Reads and checks a shard result file. */
export function readShardFile(file: string): ShardResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw inputError(
      missing ? 'CB_ERR_RESULT_NOT_FOUND' : 'CB_ERR_RESULT_UNREADABLE',
      `${file} ${missing ? 'does not exist' : `cannot be read: ${(err as Error).message}`}`,
    );
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw inputError('CB_ERR_RESULT_NOT_JSON', `${file} is not JSON: ${(err as Error).message}`, MERGE_HINT);
  }
  return checkShardResult(v, file);
}
