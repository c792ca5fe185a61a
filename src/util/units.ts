/**
 * Parsing and printing of the units scenario files and flags use: durations (`500ms`, `10s`,
 * `2m`), rates (`10/s`, `120/m`) and sizes (`128B`, `4KiB`). Pure; every parser returns
 * undefined on bad input so callers can report all errors at once.
 */
const DURATION_UNITS_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
const SIZE_UNITS_BYTES: Record<string, number> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** `10s` → 10000. A bare number is milliseconds. */
export function parseDurationMs(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|min|h)?\s*$/.exec(input);
  if (!m) return undefined;
  return Number(m[1]) * DURATION_UNITS_MS[m[2] ?? 'ms']!;
}

/** `10/s` → 10 (per second). A bare number is per second. */
export function parseRatePerSec(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(ms|s|m|min|h))?\s*$/.exec(input);
  if (!m) return undefined;
  const per = m[2] ?? 's';
  return Number(m[1]) / (DURATION_UNITS_MS[per]! / 1000);
}

/** `4KiB` → 4096. A bare number is bytes. */
export function parseSizeBytes(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isInteger(input) && input >= 0 ? input : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)?\s*$/.exec(input);
  if (!m) return undefined;
  const unit = SIZE_UNITS_BYTES[(m[2] ?? 'b').toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.round(Number(m[1]) * unit);
}

export function formatDurationMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)}s`;
  return `${ms}ms`;
}

export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (abs >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

/** A count for people: rounded, with thousands separators: 12,345. */
export const formatInt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Microseconds with precision that suits their size: 8.50, 42.3. */
export const formatUs = (us: number): string => (us < 10 ? us.toFixed(2) : us.toFixed(1));

/** How every renderer shows a figure that was not measured (null in the result JSON). */
export const NOT_MEASURED = 'n/a';

/** `format(v)`, or NOT_MEASURED for null. */
export const orNotMeasured = (v: number | null, format: (n: number) => string): string => (v === null ? NOT_MEASURED : format(v));

/** Milliseconds with precision that suits their size: 0.123, 4.56, 78.9, 1234; n/a for null. */
export function formatMs(ms: number | null): string {
  if (ms === null) return NOT_MEASURED;
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}
