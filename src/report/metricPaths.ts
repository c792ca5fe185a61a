import type { ModelResult } from './result.js';
import { unfinishedModelResult } from './partial.js';
import {
  NOT_MEASURED,
  formatBytes,
  formatInt,
  formatMs,
  formatUs,
  parseDurationMs,
  parseRatePerSec,
  parseSizeBytes,
} from '../util/units.js';
import { didYouMean } from '../util/didYouMean.js';
import { inputError } from '../util/errors.js';

/**
 * The per-model figures thresholds and comparisons can name: every numeric field of a result row,
 * by its JSON path. A name may drop unit suffixes (`latency.p99` = `latencyMs.p99`,
 * `server.rssPerConnection` = `server.rssPerConnectionBytes`), the `messages.` prefix
 * (`lost` = `messages.lost`) and write `p99.9` for `p999` (docs/contract.md, Thresholds).
 */
export type MetricKind = 'ms' | 'us' | 'bytes' | 'percent' | 'rate' | 'count';

export interface Metric {
  /** The result JSON path, e.g. "latencyMs.p99". */
  path: string;
  kind: MetricKind;
}

/** Fields that are not figures of the model (or are not numbers). */
const NOT_METRICS = new Set(['model', 'matrix', 'status', 'statusReason', 'complete', 'histogram', 'errors', 'error', 'repeats']);

const UNIT_TOKEN = /(Ms|Us|Bytes|Percent)(?=[A-Z]|$)/;

function kindOfSegment(segment: string): MetricKind | undefined {
  const unit = UNIT_TOKEN.exec(segment)?.[1];
  if (unit === 'Ms') return 'ms';
  if (unit === 'Us') return 'us';
  if (unit === 'Bytes') return 'bytes';
  if (unit === 'Percent') return 'percent';
  if (/PerSec$/.test(segment)) return 'rate';
  return undefined;
}

/** The leaf names its own unit, else inherits its parent's (latencyMs.p99 is ms), except a count. */
export function kindOfPath(path: string): MetricKind {
  const segments = path.split('.');
  const leaf = segments[segments.length - 1]!;
  if (leaf === 'count') return 'count';
  for (let i = segments.length - 1; i >= 0; i--) {
    const k = kindOfSegment(segments[i]!);
    if (k) return k;
  }
  return 'count';
}

function numericLeaves(obj: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (!prefix && NOT_METRICS.has(key)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    // null: a figure this platform could not measure (kernel memory off Linux); still a metric.
    if (typeof value === 'number' || value === null) out.push(path);
    else if (typeof value === 'object' && !Array.isArray(value)) out.push(...numericLeaves(value as Record<string, unknown>, path));
  }
  return out;
}

let catalogue: Metric[] | undefined;

/** Every metric a row carries, taken from the row shape itself so a new field is nameable at once. */
export function metricCatalogue(): Metric[] {
  catalogue ??= numericLeaves(
    unfinishedModelResult('x', {}, 0, { code: 'x', message: 'x' }, true) as unknown as Record<string, unknown>,
  ).map((path) => ({
    path,
    kind: kindOfPath(path),
  }));
  return catalogue;
}

/** Every spelling a path may be written in, lower-cased. */
function aliasesOf(path: string): string[] {
  let variants = [''];
  for (const seg of path.split('.')) {
    const forms = new Set([seg, seg.replace(UNIT_TOKEN, '')]);
    if (seg === 'p999') forms.add('p99.9');
    variants = variants.flatMap((v) => [...forms].map((f) => (v ? `${v}.${f}` : f)));
  }
  const withShort = variants.flatMap((v) => (v.startsWith('messages.') ? [v, v.slice('messages.'.length)] : [v]));
  return withShort.map((v) => v.toLowerCase());
}

let aliasIndex: Map<string, Metric> | undefined;

/** `latency.p99` → { path: "latencyMs.p99", kind: "ms" }; an unknown name is bad input with a suggestion. */
export function resolveMetric(name: string, context: string): Metric {
  if (!aliasIndex) {
    aliasIndex = new Map();
    for (const m of metricCatalogue()) for (const a of aliasesOf(m.path)) if (!aliasIndex.has(a)) aliasIndex.set(a, m);
  }
  const found = aliasIndex.get(name.trim().toLowerCase());
  if (found) return found;
  const guess = didYouMean(name, [...aliasIndex.keys()]);
  const guessPath = guess ? aliasIndex.get(guess)!.path : undefined;
  throw inputError(
    'CB_ERR_METRIC_UNKNOWN',
    `${context}: "${name}" is not a metric of a result row${guessPath ? `; did you mean "${guessPath}"?` : ''}`,
    'name a result JSON path such as latency.p99, lost, server.rssPerConnection, server.cpuUsPerMessage or wire.serverBytesPerMessage',
  );
}

/** The value at a path, or null when the row has none there (not measured). */
export function metricValue(row: ModelResult, path: string): number | null {
  let v: unknown = row;
  for (const seg of path.split('.')) {
    if (typeof v !== 'object' || v === null) return null;
    v = (v as Record<string, unknown>)[seg];
  }
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const KIND_EXAMPLE: Record<MetricKind, string> = { ms: '20ms', us: '50us', bytes: '16KiB', percent: '50%', rate: '1000/s', count: '0' };

export function exampleOf(kind: MetricKind): string {
  return KIND_EXAMPLE[kind];
}

/**
 * A written quantity (unsigned) in the metric's own unit: "20ms" → 20 for ms, "16KiB" → 16384
 * for bytes, "50us" → 50 for µs. A bare number is already in that unit. undefined when the
 * text is not a quantity of that kind.
 */
export function parseQuantity(text: string, kind: MetricKind): number | undefined {
  const t = text.trim();
  const bare = /^\d+(?:\.\d+)?$/.test(t) ? Number(t) : undefined;
  switch (kind) {
    case 'ms':
      return parseDurationMs(t);
    case 'us': {
      if (bare !== undefined) return bare;
      const ms = parseDurationMs(t);
      return ms === undefined ? undefined : ms * 1000;
    }
    case 'bytes':
      return parseSizeBytes(t);
    case 'percent': {
      const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(t);
      return m ? Number(m[1]) : undefined;
    }
    case 'rate':
      return parseRatePerSec(t);
    case 'count':
      return bare;
  }
}

/** A value of a kind for people: "4.20 ms", "12.3 KiB", "8.5 µs", "12 %", "1,000"; "n/a" for null (not measured). */
export function formatQuantity(value: number | null, kind: MetricKind): string {
  if (value === null) return NOT_MEASURED;
  if (!Number.isFinite(value)) return '-';
  switch (kind) {
    case 'ms':
      return `${formatMs(value)} ms`;
    case 'us':
      return `${formatUs(value)} µs`;
    case 'bytes':
      return formatBytes(value);
    case 'percent':
      return `${value.toFixed(1)} %`;
    case 'rate':
      return `${formatInt(value)}/s`;
    case 'count':
      return Number.isInteger(value) ? formatInt(value) : value.toFixed(3);
  }
}
