import { z } from 'zod';
import { MODEL_IDS } from '../models/types.js';
import { parseDurationMs, parseRatePerSec, parseSizeBytes } from '../util/units.js';
import { LEAN_SSE_CLIENT_ABOVE, SSE_CLIENTS, type SseClientSetting } from '../models/sse/clientChoice.js';

/**
 * The scenario schema: one zod definition gives the types, the defaults, the validation and the
 * JSON Schema (`connbench schema`, committed as scenario.schema.json for editors). Durations, rates
 * and sizes are written with units and resolved here to milliseconds, per-second and bytes.
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
const axis = <T extends z.ZodType>(t: T, description: string) =>
  z.union([t, z.array(t).min(1)]).describe(`${description} A list makes a matrix: one run per value.`);

const positiveCount = z.number().int().positive();

export const PATTERNS = ['broadcast', 'chat', 'idle'] as const;
export const ACTIONS = ['reconnect-storm'] as const;

export const workloadSchema = z
  .strictObject({
    pattern: z
      .enum(PATTERNS)
      .default('broadcast')
      .describe('broadcast: one publisher, every client receives every message (a ticker). chat: users send to users or rooms. idle: no messages, connections and heartbeats only.'),
    rate: axis(ratePerSec('10/s'), 'broadcast: messages per second from the publisher; chat: sends per second of each user.').default(10),
    payload: axis(sizeBytes('128B'), 'Padding carried by every message.').default(128),
    roomSize: axis(positiveCount, 'chat: users per room. 1 = direct messages to a random other user; k > 1 = rooms of k users, where one send reaches every member (the sender included).').default(1),
    burst: z.number().int().nonnegative().default(0).describe('idle: messages broadcast at once at the end, proving delivery still works after the quiet.'),
  })
  .describe('What the clients receive.');

const actionSchema = z
  .strictObject({
    action: z.enum(ACTIONS).describe('reconnect-storm: every client connection drops at once; clients come back with jittered backoff and resume from their cursor.'),
    at: durationMs('5s').describe('When, counted from the start of publishing (the start of warmup); must fall before warmup + duration ends.'),
  })
  .describe('Something done to every client at a given time.');

export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional().describe('The JSON Schema this file follows (for editors).'),
    name: z.string().min(1).default('custom').describe('Short name; names the result file.'),
    description: z.string().default('').describe('The question this scenario answers, in one sentence (the first line is shown by `connbench list`).'),
    models: z.array(z.enum(MODEL_IDS)).min(1).default([...MODEL_IDS]).describe('The models to run, in this order.'),
    clients: axis(positiveCount, 'Simulated clients (users) per model.').default(1000),
    rampUp: durationMs('5s').optional().describe('Connect the clients evenly over this long (default 5s). Give rampUp or connectRate, not both.'),
    connectRate: ratePerSec('500/s').optional().describe('Connect clients at this rate instead of over a fixed rampUp.'),
    warmup: durationMs('2s').default(2000).describe('Messages flow but latency is not recorded yet.'),
    duration: durationMs('10s').default(10_000).describe('The measured window.'),
    drainTimeout: durationMs('10s')
      .default(10_000)
      .describe('After publishing stops: how long clients may take to catch up before the rest counts as lost.'),
    workload: workloadSchema.prefault({}),
    churn: ratePerSec('5/s')
      .default(0)
      .describe('Connections per second (over all clients) that close and reconnect, resuming from their cursor, while messages flow.'),
    actions: z.array(actionSchema).default([]).describe('Timed events during the run, e.g. [{ action: reconnect-storm, at: 5s }].'),
    shortPoll: z
      .strictObject({ interval: axis(durationMs('1s'), 'short-poll: pause between an answer and the next poll.').default(1000) })
      .prefault({}),
    longPoll: z
      .strictObject({ hold: axis(durationMs('20s'), 'long-poll: how long the server holds a poll with nothing new (its heartbeat).').default(20_000) })
      .prefault({}),
    heartbeat: z
      .strictObject({
        interval: axis(durationMs('15s'), 'sse, websocket, tcp: the server sends a heartbeat this often.').default(15_000),
        timeout: durationMs('30s').default(30_000).describe('A peer silent this long after a heartbeat is dead.'),
      })
      .prefault({}),
    sse: z
      .strictObject({
        retry: durationMs('1s').default(1000).describe('The `retry:` the SSE server announces.'),
        client: z
          .enum(SSE_CLIENTS)
          .default('auto')
          .describe(`SSE client: reference (the eventsource package), lean (raw socket, about a seventh of the memory), or auto = lean above ${LEAN_SSE_CLIENT_ABOVE} clients.`),
      })
      .prefault({}),
    server: z
      .strictObject({
        retention: axis(positiveCount, 'Messages the server log keeps; a cursor older than this gets an explicit gap (counted as lost).').default(100_000),
        processes: positiveCount.default(1).describe('Reference server processes.'),
      })
      .prefault({}),
    client: z
      .strictObject({
        workers: z.number().int().nonnegative().default(0).describe('Client worker processes; 0 = as many as the connection count needs (at least 1).'),
        sourceAddresses: positiveCount.default(1).describe('Loopback source addresses to spread connections over (127.0.0.1, 127.0.0.2, …).'),
        resume: z
          .enum(['cursor', 'none'])
          .default('cursor')
          .describe('cursor: a reconnect resumes where the client was. none: it starts from now, and the gap counts as lost.'),
        reconnect: z
          .strictObject({
            minDelay: durationMs('50ms').default(50).describe('Backoff ceiling of the first reconnect attempt (full jitter: the delay is uniform below the ceiling).'),
            maxDelay: durationMs('2s').default(2000).describe('The ceiling doubles per failed attempt up to this.'),
          })
          .prefault({}),
      })
      .prefault({}),
    thresholds: z.record(z.string(), z.string()).default({}).describe('"<model or *>.<metric>": "<op> <value with unit>", e.g. "*.lost": "== 0".'),
    faults: z.array(z.record(z.string(), z.unknown())).default([]),
  })
  .superRefine((s, ctx) => {
    // Cross-field rules: each names the field to change, so nothing is silently ignored.
    const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
    const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (s.rampUp !== undefined && s.connectRate !== undefined) fail(['connectRate'], 'give rampUp or connectRate, not both');
    if (s.connectRate === 0) fail(['connectRate'], 'must be above 0/s');
    const w = s.workload;
    const smallest = Math.min(...list(s.clients));
    if (w.pattern !== 'chat' && list(w.roomSize).some((k) => k > 1)) fail(['workload', 'roomSize'], `only the chat pattern has rooms (pattern is ${w.pattern})`);
    if (w.pattern !== 'idle' && w.burst > 0) fail(['workload', 'burst'], `only the idle pattern ends with a burst (pattern is ${w.pattern})`);
    if (w.pattern === 'chat' && smallest < 2) fail(['clients'], 'chat needs at least 2 clients, so a user has someone to send to');
    const biggestRoom = Math.max(...list(w.roomSize));
    if (w.pattern === 'chat' && biggestRoom > smallest) fail(['workload', 'roomSize'], `a room of ${biggestRoom} needs at least ${biggestRoom} clients; the smallest point has ${smallest}`);
    if (w.pattern !== 'idle' && list(w.rate).some((r) => r <= 0)) fail(['workload', 'rate'], 'must be above 0/s (use pattern: idle for no messages)');
    const windowMs = s.warmup + s.duration;
    s.actions.forEach((a, i) => {
      if (a.at >= windowMs) fail(['actions', i, 'at'], `${a.at} ms is not before the end of warmup + duration (${windowMs} ms)`);
      // Recovery is measured from one storm to the end of the run; a second would blur both.
      if (a.action === 'reconnect-storm' && s.actions.findIndex((b) => b.action === a.action) < i) fail(['actions', i], 'one reconnect-storm per scenario');
    });
    if (s.client.reconnect.minDelay > s.client.reconnect.maxDelay) fail(['client', 'reconnect', 'minDelay'], 'must not exceed maxDelay');
  });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioParsed = z.output<typeof scenarioSchema>;

export const DEFAULT_RAMP_UP_MS = 5000;

export type ActionName = (typeof ACTIONS)[number];

/** One point of the matrix: every axis holds a single value. */
export interface Scenario {
  name: string;
  description: string;
  models: (typeof MODEL_IDS)[number][];
  clients: number;
  /** From rampUp, or clients / connectRate. */
  rampUpMs: number;
  /** Set when the file gave connectRate (rampUpMs is then derived from it). */
  connectRatePerSec: number | null;
  warmupMs: number;
  durationMs: number;
  drainTimeoutMs: number;
  workload: { pattern: (typeof PATTERNS)[number]; ratePerSec: number; payloadBytes: number; roomSize: number; burst: number };
  /** Connections per second, over all clients, closed and reconnected while messages flow. */
  churnPerSec: number;
  /** Timed actions, `atMs` after the start of publishing, in time order. */
  actions: { action: ActionName; atMs: number }[];
  shortPoll: { intervalMs: number };
  longPoll: { holdMs: number };
  heartbeat: { intervalMs: number; timeoutMs: number };
  sse: { retryMs: number; client: SseClientSetting };
  server: { retention: number; processes: number };
  client: { workers: number; sourceAddresses: number; resume: 'cursor' | 'none'; reconnect: { minDelayMs: number; maxDelayMs: number } };
  thresholds: Record<string, string>;
  faults: Record<string, unknown>[];
  /** The matrix values that made this point, e.g. { clients: 1000 }; empty without a matrix. */
  matrix: Record<string, number>;
}
