import { z } from 'zod';
import {
  MAX_DURATION_MS,
  MAX_RATE_PER_SEC,
  MIN_RATE_PER_SEC,
  UNIT_KINDS,
  allowedText,
  withinBounds,
  type Bounds,
  type UnitKind,
} from './unitBounds.js';

/**
 * zod types for values written with units (durations, rates, sizes), for whole numbers and for
 * matrix axes: the scenario schema and every model's own section of it are built from these, so a
 * unit means the same everywhere, the JSON Schema shows the same patterns, and every refusal says
 * what was given and what is allowed.
 */

export { MAX_DURATION_MS, MAX_RATE_PER_SEC, MIN_RATE_PER_SEC, type Bounds };

interface UnitType {
  kind: UnitKind;
  pattern: string;
}

const unit = (type: UnitType, example: string, bounds: Bounds) =>
  z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const n = UNIT_KINDS[type.kind].parse(v);
      if (n === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected ${UNIT_KINDS[type.kind].what} like "${example}", got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      if (!withinBounds(n, bounds)) {
        ctx.addIssue({ code: 'custom', message: `must be ${allowedText(type.kind, bounds)}, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return n;
    })
    // Only for editors: the JSON Schema checks the text while typing; the parser above decides.
    .meta({ pattern: type.pattern });

/** Editor-side patterns; test/scenario/schema.test.ts keeps them in step with src/util/units.ts. */
export const UNIT_PATTERNS = {
  duration: '^\\s*\\d+(\\.\\d+)?\\s*(us|µs|ms|s|m|min|h)?\\s*$',
  rate: '^\\s*\\d+(\\.\\d+)?\\s*(/\\s*(ms|s|m|min|h))?\\s*$',
  size: '^\\s*\\d+(\\.\\d+)?\\s*([bB]|[kKmMgG][iI]?[bB])?\\s*$',
} as const;

const DURATION: UnitType = { kind: 'duration', pattern: UNIT_PATTERNS.duration };
const RATE: UnitType = { kind: 'rate', pattern: UNIT_PATTERNS.rate };
const SIZE: UnitType = { kind: 'size', pattern: UNIT_PATTERNS.size };

/** A duration in ms; by default from 0 to MAX_DURATION_MS. */
export const durationMs = (example = '10s', bounds: Bounds = {}) => unit(DURATION, example, { min: 0, max: MAX_DURATION_MS, ...bounds });
/** A rate per second; by default from MIN_RATE_PER_SEC to MAX_RATE_PER_SEC, or 0. */
export const ratePerSec = (example = '10/s', bounds: Bounds = {}) =>
  unit(RATE, example, { min: MIN_RATE_PER_SEC, max: MAX_RATE_PER_SEC, orZero: true, ...bounds });
/** A size in bytes, from 0 to `max`. */
export const sizeBytes = (example: string, bounds: Bounds) => unit(SIZE, example, { min: 0, ...bounds });

/** A whole number from min to max, given as a number (YAML's 1e9 is a number too, and refused by its range). */
export const wholeNumber = (min: number, max: number) => {
  const message = (iss: { input?: unknown }) =>
    `must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, got ${JSON.stringify(iss.input)}`;
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
};

/** A field that may hold one value or a list of values (a matrix axis). */
export const axis = <T extends z.ZodType>(t: T, description: string) =>
  z.union([t, z.array(t).min(1)]).describe(`${description} A list makes a matrix: one run per value.`);

/** A switch written `on`/`off` (or true/false): parsed as 'on' | 'off', so a matrix of it reads as it was written. */
export const onOff = z
  .union([z.enum(['on', 'off']), z.boolean()])
  .transform((v): 'on' | 'off' => (v === true ? 'on' : v === false ? 'off' : v));
