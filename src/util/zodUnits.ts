import { z } from 'zod';
import { parseDurationMs, parseRatePerSec, parseSizeBytes } from './units.js';

/**
 * zod types for values written with units (durations, rates, sizes) and for matrix axes: the
 * scenario schema and every model's own section of it are built from these, so a unit means the
 * same everywhere and the JSON Schema shows the same patterns.
 */
const unit = (parse: (v: string | number) => number | undefined, example: string, what: string, pattern: string) =>
  z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const n = parse(v);
      if (n === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected ${what} like "${example}", got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return n;
    })
    // Only for editors: the JSON Schema checks the text while typing; the parser above decides.
    .meta({ pattern });

/** Editor-side patterns; test/scenario/schema.test.ts keeps them in step with src/util/units.ts. */
export const UNIT_PATTERNS = {
  duration: '^\\s*\\d+(\\.\\d+)?\\s*(us|µs|ms|s|m|min|h)?\\s*$',
  rate: '^\\s*\\d+(\\.\\d+)?\\s*(/\\s*(ms|s|m|min|h))?\\s*$',
  size: '^\\s*\\d+(\\.\\d+)?\\s*([bB]|[kKmMgG][iI]?[bB])?\\s*$',
} as const;

export const durationMs = (example = '10s') => unit(parseDurationMs, example, 'a duration', UNIT_PATTERNS.duration);
export const ratePerSec = (example = '10/s') => unit(parseRatePerSec, example, 'a rate', UNIT_PATTERNS.rate);
export const sizeBytes = (example = '128B') => unit(parseSizeBytes, example, 'a size', UNIT_PATTERNS.size);

/** A field that may hold one value or a list of values (a matrix axis). */
export const axis = <T extends z.ZodType>(t: T, description: string) =>
  z.union([t, z.array(t).min(1)]).describe(`${description} A list makes a matrix: one run per value.`);

export const positiveCount = z.number().int().positive();
