import { parseDurationMs, parseRatePerSec, parseSizeBytes } from './units.js';
import { formatBytesExact, formatDurationExact, formatRateExact } from './unitText.js';

/**
 * The range a value written with a unit must fall in, and the words for it: the scenario schema
 * (src/util/zodUnits.ts) and every flag (src/cli/flags.ts, the heartbeat lab's and the proxy's)
 * refuse the same values with the same sentence. Pure.
 */

/** The longest any duration of a scenario or flag may be: no phase of a run needs a day, and Node's timers end at 24.8 days. */
export const MAX_DURATION_MS = 24 * 3_600_000;
/** The highest rate of anything a scenario schedules (messages, sends, connects, churn) per second. */
export const MAX_RATE_PER_SEC = 100_000;
/** The lowest rate above zero: one an hour, so the timer a rate sets stays within MAX_DURATION_MS. */
export const MIN_RATE_PER_SEC = 1 / 3600;

/** At least `min` (or above `above`), at most `max`; `orZero` also takes 0. */
export interface Bounds {
  min?: number;
  above?: number;
  max?: number;
  orZero?: boolean;
}

export type UnitKind = 'duration' | 'rate' | 'size';

export const UNIT_KINDS: Record<
  UnitKind,
  { parse: (v: string | number) => number | undefined; format: (n: number) => string; what: string }
> = {
  duration: { parse: parseDurationMs, format: formatDurationExact, what: 'a duration' },
  rate: { parse: parseRatePerSec, format: formatRateExact, what: 'a rate' },
  size: { parse: parseSizeBytes, format: formatBytesExact, what: 'a size' },
};

/** "a duration above 0ms and at most 24h", "a size from 0B to 16MiB": the range, in the unit's own words. */
export function allowedText(kind: UnitKind, b: Bounds): string {
  const { what, format } = UNIT_KINDS[kind];
  const parts: string[] = [];
  if (b.above === undefined && b.min !== undefined && b.max !== undefined) parts.push(`from ${format(b.min)} to ${format(b.max)}`);
  else {
    if (b.above !== undefined) parts.push(`above ${format(b.above)}`);
    else if (b.min !== undefined) parts.push(`at least ${format(b.min)}`);
    if (b.max !== undefined) parts.push(`at most ${format(b.max)}`);
  }
  return `${[what, parts.join(' and ')].filter(Boolean).join(' ')}${b.orZero ? ', or 0' : ''}`;
}

export function withinBounds(n: number, b: Bounds): boolean {
  if (b.orZero && n === 0) return true;
  return (b.min === undefined || n >= b.min) && (b.above === undefined || n > b.above) && (b.max === undefined || n <= b.max);
}

/** `--max "soon" is not a duration from 0ms to 24h`, or undefined when `v` is one. */
export function unitProblem(label: string, v: string, kind: UnitKind, bounds: Bounds): string | undefined {
  const n = UNIT_KINDS[kind].parse(v);
  return n !== undefined && withinBounds(n, bounds) ? undefined : `${label} "${v}" is not ${allowedText(kind, bounds)}`;
}
