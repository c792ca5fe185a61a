import { parseDurationMs } from '../util/units.js';
import { inputError } from '../util/errors.js';

/**
 * Flag readers the commands share. Each error names the flag and the value, keeps the code the
 * command has always used, and carries a hint written as the flag with an example value.
 */

/** commander's reducer for a repeatable flag: `--x a --x b` → ['a', 'b']. */
export const collect = (v: string, all: string[]): string[] => [...all, v];

/** `--max: expected a duration like "10m", got "soon"`: for a command that lists every problem at once. */
export const durationProblem = (flag: string, v: string, example: string) => `${flag}: expected a duration like "${example}", got "${v}"`;

/** `--max 10m` → 600000; a value that is no duration (or, with positive, not above zero) is CB_ERR_BAD_FLAG. */
export function durationFlag(flag: string, v: string, example: string, opts: { positive?: boolean } = {}): number {
  const ms = parseDurationMs(v);
  if (ms === undefined || (opts.positive && ms <= 0))
    throw inputError('CB_ERR_BAD_FLAG', durationProblem(flag, v, example), `write it like ${flag} ${example}`);
  return ms;
}

/** A whole number from min to max (no upper bound without max), written in digits only. */
export function intFlag(flag: string, v: string, range: { min: number; max?: number; example: string; code?: string }): number {
  const n = /^\d+$/.test(v.trim()) ? Number(v) : undefined;
  if (n === undefined || n < range.min || (range.max !== undefined && n > range.max)) {
    const bounds = range.max === undefined ? `of at least ${range.min}` : `from ${range.min} to ${range.max}`;
    throw inputError(
      range.code ?? 'CB_ERR_BAD_FLAG',
      `${flag} "${v}" is not a whole number ${bounds}`,
      `write it like ${flag} ${range.example}`,
    );
  }
  return n;
}
