import { z } from 'zod';
import { MODEL_IDS } from '../models/types.js';
import { parseDurationMs, parseRatePerSec, parseSizeBytes } from '../util/units.js';

/**
 * The scenario schema: one zod definition gives the types, the defaults, the validation and the
 * JSON Schema (`connbench schema`). Durations, rates and sizes are written with units and
 * resolved here to milliseconds, per-second and bytes.
 */
const unit = (parse: (v: string | number) => number | undefined, example: string, what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = parse(v);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${what} like "${example}", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });

export const durationMs = (example = '10s') => unit(parseDurationMs, example, 'a duration');
export const ratePerSec = (example = '10/s') => unit(parseRatePerSec, example, 'a rate');
export const sizeBytes = (example = '128B') => unit(parseSizeBytes, example, 'a size');

/** A field that may hold one value or a list of values (a matrix axis). */
const axis = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]);

const positiveCount = z.number().int().positive();

export const workloadSchema = z.strictObject({
  pattern: z.enum(['broadcast', 'chat', 'idle']).default('broadcast'),
  /** broadcast: messages per second from the publisher; chat: sends per second per user. */
  rate: axis(ratePerSec('10/s')).default(10),
  payload: axis(sizeBytes('128B')).default(128),
  /** chat: recipients per send; 1 = direct messages, k > 1 = a room of k users. */
  roomSize: positiveCount.default(1),
  /** idle: a broadcast burst of this many messages at the end (proves delivery after idling). */
  burst: z.number().int().nonnegative().default(0),
});

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).default('custom'),
  description: z.string().default(''),
  models: z.array(z.enum(MODEL_IDS)).min(1).default([...MODEL_IDS]),
  clients: axis(positiveCount).default(1000),
  rampUp: durationMs('5s').default(5000),
  warmup: durationMs('2s').default(2000),
  duration: durationMs('10s').default(10_000),
  /** After publishing stops: how long clients may take to catch up before the rest counts as lost. */
  drainTimeout: durationMs('10s').default(10_000),
  workload: workloadSchema.prefault({}),
  shortPoll: z.strictObject({ interval: axis(durationMs('1s')).default(1000) }).prefault({}),
  longPoll: z.strictObject({ hold: axis(durationMs('20s')).default(20_000) }).prefault({}),
  heartbeat: z
    .strictObject({ interval: axis(durationMs('15s')).default(15_000), timeout: durationMs('30s').default(30_000) })
    .prefault({}),
  sse: z.strictObject({ retry: durationMs('1s').default(1000) }).prefault({}),
  server: z
    .strictObject({ retention: positiveCount.default(100_000), processes: positiveCount.default(1) })
    .prefault({}),
  client: z
    .strictObject({
      /** Client worker processes; 0 = as many as the connection count needs (at least 1). */
      workers: z.number().int().nonnegative().default(0),
      /** Loopback source addresses to spread connections over (127.0.0.1, 127.0.0.2, …). */
      sourceAddresses: positiveCount.default(1),
      resume: z.enum(['cursor', 'none']).default('cursor'),
    })
    .prefault({}),
  thresholds: z.record(z.string(), z.string()).default({}),
  faults: z.array(z.record(z.string(), z.unknown())).default([]),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioParsed = z.output<typeof scenarioSchema>;

/** One point of the matrix: every axis holds a single value. */
export interface Scenario {
  name: string;
  description: string;
  models: (typeof MODEL_IDS)[number][];
  clients: number;
  rampUpMs: number;
  warmupMs: number;
  durationMs: number;
  drainTimeoutMs: number;
  workload: { pattern: 'broadcast' | 'chat' | 'idle'; ratePerSec: number; payloadBytes: number; roomSize: number; burst: number };
  shortPoll: { intervalMs: number };
  longPoll: { holdMs: number };
  heartbeat: { intervalMs: number; timeoutMs: number };
  sse: { retryMs: number };
  server: { retention: number; processes: number };
  client: { workers: number; sourceAddresses: number; resume: 'cursor' | 'none' };
  thresholds: Record<string, string>;
  faults: Record<string, unknown>[];
  /** The matrix values that made this point, e.g. { clients: 1000 }; empty without a matrix. */
  matrix: Record<string, number>;
}
