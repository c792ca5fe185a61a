import type { ModelResult } from './result.js';
import { metricValue } from './metricPaths.js';
import { spreadOf } from './repeats.js';
import { NOT_MEASURED } from '../util/units.js';

/**
 * A row's figure for display and, when the run was repeated, its range over the repeats. The
 * figure itself is the row's (median, or merged for latency).
 */
export function rangeParts(row: ModelResult, path: string, format: (v: number) => string): { value: string; range?: string } {
  const v = metricValue(row, path);
  if (v === null) return { value: NOT_MEASURED };
  const s = spreadOf(row, (r) => metricValue(r, path));
  return s ? { value: format(v), range: `${format(s.min)}–${format(s.max)}` } : { value: format(v) };
}

/** "4.20 [3.95–4.61]" with repeats, "4.20" without. */
export function withRange(row: ModelResult, path: string, format: (v: number) => string): string {
  const p = rangeParts(row, path, format);
  return p.range ? `${p.value} [${p.range}]` : p.value;
}

/** "3 repeats per model: figures are medians (latency: all deliveries merged), [min–max] over the repeats". */
export function repeatNote(rows: ModelResult[]): string | undefined {
  const n = Math.max(0, ...rows.map((r) => r.repeats?.length ?? 0));
  return n > 1
    ? `${n} repeats per model: figures are medians (latency: all repeats' deliveries merged), [min–max] over the repeats; counters are totals`
    : undefined;
}
