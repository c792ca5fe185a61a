import { MAX_DURATION_MS, UNIT_KINDS, unitProblem, type Bounds, type UnitKind } from '../util/unitBounds.js';
import { inputError } from '../util/errors.js';

/**
 * Flag readers the commands share. Each refusal names the flag, the value given and what it
 * accepts, keeps the code the command has always used, and carries a hint written as the flag
 * with an example value. Durations, rates and sizes take the ranges the scenario schema gives the
 * same fields (src/util/zodUnits.ts), so a flag and a file refuse the same values.
 */

/** commander's reducer for a repeatable flag: `--x a --x b` → ['a', 'b']. */
export const collect = (v: string, all: string[]): string[] => [...all, v];

export { unitProblem };

/** A duration, rate or size flag → its number (ms, per second, bytes), or CB_ERR_BAD_FLAG naming the range. */
export function unitFlag(flag: string, v: string, kind: UnitKind, bounds: Bounds, example: string): number {
  const problem = unitProblem(flag, v, kind, bounds);
  if (problem) throw inputError('CB_ERR_BAD_FLAG', problem, `write it like ${flag} ${example}`);
  return UNIT_KINDS[kind].parse(v)!;
}

/** `--max 10m` → 600000: from 0 (above 0 with positive) to the 24 h any duration may be. */
export function durationFlag(flag: string, v: string, example: string, opts: { positive?: boolean } = {}): number {
  return unitFlag(flag, v, 'duration', { ...(opts.positive ? { above: 0 } : { min: 0 }), max: MAX_DURATION_MS }, example);
}

/** `--payload 128B,1KiB` → a matrix axis (a list), one value → the value; each checked as unitFlag does. */
export function unitListFlag(flag: string, v: string, kind: UnitKind, bounds: Bounds, example: string): number | number[] {
  const values = listOf(flag, v, example).map((part) => {
    const problem = unitProblem(flag, part, kind, bounds);
    if (problem) throw inputError('CB_ERR_BAD_FLAG', listProblem(flag, v, part, problem), `write it like ${flag} ${example}`);
    return UNIT_KINDS[kind].parse(part)!;
  });
  return values.length === 1 ? values[0]! : values;
}

export interface IntRange {
  min: number;
  max?: number;
  example: string;
  code?: string;
}

/** A whole number from min to max (no upper bound without max), written in digits only. */
export function intFlag(flag: string, v: string, range: IntRange): number {
  const problem = intProblem(flag, v, range);
  if (problem) throw inputError(range.code ?? 'CB_ERR_BAD_FLAG', problem, `write it like ${flag} ${range.example}`);
  return Number(v);
}

/** `--clients 100,1000` → a matrix axis, one value → the value; each a whole number in range. */
export function intListFlag(flag: string, v: string, range: IntRange): number | number[] {
  const values = listOf(flag, v, range.example).map((part) => {
    const problem = intProblem(flag, part, range);
    if (problem)
      throw inputError(range.code ?? 'CB_ERR_BAD_FLAG', listProblem(flag, v, part, problem), `write it like ${flag} ${range.example}`);
    return Number(part);
  });
  return values.length === 1 ? values[0]! : values;
}

function intProblem(flag: string, v: string, range: IntRange): string | undefined {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : undefined;
  if (n !== undefined && n >= range.min && (range.max === undefined || n <= range.max)) return undefined;
  const fmt = (x: number) => x.toLocaleString('en-US');
  const bounds = range.max === undefined ? `of at least ${fmt(range.min)}` : `from ${fmt(range.min)} to ${fmt(range.max)}`;
  return `${flag} "${v}" is not a whole number ${bounds}`;
}

/** The parts of a comma list; an empty part is refused (a stray comma is a typo, not a value). */
function listOf(flag: string, v: string, example: string): string[] {
  const parts = v.split(',');
  if (parts.some((p) => p.trim() === ''))
    throw inputError(
      'CB_ERR_BAD_FLAG',
      `${flag} "${v}" has an empty value: give one value, or a comma list of them`,
      `write it like ${flag} ${example} (a comma list makes a matrix)`,
    );
  return parts.map((p) => p.trim());
}

/** A problem with one part of a list, told with the whole flag value too. */
function listProblem(flag: string, whole: string, part: string, problem: string): string {
  return whole === part ? problem : `${flag} "${whole}": ${problem.slice(flag.length + 1)}`;
}
