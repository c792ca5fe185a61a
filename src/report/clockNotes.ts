import type { ModelResult } from './result.js';
import { formatMs } from '../util/units.js';

/** The mark on a latency figure smaller than its row's clock bound: across hosts it cannot be told from 0. */
export const BELOW_BOUND_MARK = '‡';

/** Whether a latency figure (ms) of the row is smaller than the bound on its clock correction; one not measured (null) is not. */
export function belowClockBound(r: ModelResult, ms: number | null): boolean {
  return r.clock !== undefined && ms !== null && ms * 1000 < r.clock.boundUs;
}

/** The figure as shown, marked when it is below the row's clock bound. */
export function clockMarked(r: ModelResult, ms: number | null, shown: string): string {
  return belowClockBound(r, ms) ? `${shown}${BELOW_BOUND_MARK}` : shown;
}

const us = (v: number) => `${v > 0 ? '+' : ''}${v} µs`;

/**
 * One line per row whose receive times were corrected by a clock offset (a server on another
 * host): the bound that holds for every latency of the row, each shard's offset, and what ‡ means.
 */
export function clockNotes(rows: ModelResult[]): string[] {
  return rows.flatMap((r) => {
    if (!r.clock) return [];
    const shards = r.clock.shards
      .map((c) => `shard ${c.shard} ${us(c.offsetUs)} ±${c.boundUs} µs, drift ${c.driftPpm} ±${c.driftBoundPpm} ppm`)
      .join('; ');
    const marked = ['p50', 'p90', 'p99', 'p999', 'max'].some((k) => belowClockBound(r, r.latencyMs[k as 'p50']));
    return [
      `${r.model} latency ±${formatMs(r.clock.boundUs / 1000)} ms: receive times corrected by each shard's offset to the server's clock (${shards})${marked ? `; ${BELOW_BOUND_MARK} marks figures below that bound` : ''}`,
    ];
  });
}
