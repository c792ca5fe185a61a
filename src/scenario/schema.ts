import { z } from 'zod';
import { MODEL_IDS, modelSections, type ModelId } from '../models/index.js';
import { axis, durationMs, ratePerSec, sizeBytes, wholeNumber } from '../util/zodUnits.js';
import { formatBytesExact } from '../util/unitText.js';
import { MAX_BROADCAST_PAYLOAD_BYTES, MAX_CHAT_PAYLOAD_BYTES } from '../models/payloadLimits.js';
import { DEFAULT_SLOW_READER_QUEUE_BYTES, DEFAULT_STALL_TIMEOUT_MS } from '../models/serverLimits.js';
import { MAX_BURST, MAX_CLIENTS, MAX_RETENTION, MAX_SERVER_PROCESSES, MAX_SOURCE_ADDRESSES, MAX_WORKERS } from './limits.js';
import { didYouMean } from '../util/didYouMean.js';
import { intermediarySchema, networkProblems, tlsSchema, type IntermediarySettings, type TlsSettings } from './network.js';

/**
 * The scenario schema: one zod definition gives the types, the defaults, the validation and the
 * JSON Schema (`connbench schema`, committed as scenario.schema.json for editors). Durations, rates
 * and sizes are written with units and resolved here to milliseconds, per-second and bytes.
 */
export const PATTERNS = ['broadcast', 'chat', 'idle'] as const;
export const ACTIONS = ['reconnect-storm'] as const;

export const workloadSchema = z
  .strictObject({
    pattern: z
      .enum(PATTERNS)
      .default('broadcast')
      .describe(
        'broadcast: one publisher, every client receives every message (a ticker). chat: users send to users or rooms. idle: no messages, connections and heartbeats only.',
      ),
    rate: axis(ratePerSec('10/s'), 'broadcast: messages per second from the publisher; chat: sends per second of each user.').default(10),
    payload: axis(
      sizeBytes('128B', { max: MAX_BROADCAST_PAYLOAD_BYTES }),
      `Padding carried by every message: at most ${formatBytesExact(MAX_BROADCAST_PAYLOAD_BYTES)} (the 16 MiB frame limit less room for the envelope), ${formatBytesExact(MAX_CHAT_PAYLOAD_BYTES)} in chat (the 1 MiB a client may send).`,
    ).default(128),
    roomSize: axis(
      wholeNumber(1, MAX_CLIENTS),
      'chat: users per room. 1 = direct messages to a random other user; k > 1 = rooms of k users, where one send reaches every member (the sender included).',
    ).default(1),
    burst: wholeNumber(0, MAX_BURST)
      .default(0)
      .describe('idle: messages broadcast at once at the end, proving delivery still works after the quiet.'),
  })
  .describe('What the clients receive.');

const actionSchema = z
  .strictObject({
    action: z
      .enum(ACTIONS)
      .describe(
        'reconnect-storm: every client connection drops at once; clients come back with jittered backoff and resume from their cursor.',
      ),
    at: durationMs('5s').describe(
      'When, counted from the start of publishing (the start of warmup); must fall before warmup + duration ends.',
    ),
  })
  .describe('Something done to every client at a given time.');

export const FAULT_KINDS = ['drop', 'stall', 'restart', 'latency'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export const RESUME_MODES = ['cursor', 'none'] as const;
export type ResumeMode = (typeof RESUME_MODES)[number];

/** The fields each fault kind takes besides `fault` and `at`, and which of them it needs. */
const FAULT_FIELDS: Record<FaultKind, { takes: string[]; needs: string[] }> = {
  drop: { takes: ['fraction'], needs: ['fraction'] },
  stall: { takes: ['for'], needs: ['for'] },
  restart: { takes: [], needs: [] },
  latency: { takes: ['latency', 'jitter', 'for'], needs: ['latency', 'for'] },
};

/**
 * One fault, flat rather than a union per kind: unknown keys get a did-you-mean over every fault
 * field, and each problem of a kind (a field it needs, one it does not take) is named on its own.
 */
const faultSchema = z
  .strictObject({
    fault: z
      .string()
      .meta({ enum: [...FAULT_KINDS] })
      .describe(
        'drop: the server resets (RST) a fraction of its connections. stall: the server process is stopped (SIGSTOP) for a while, then continued. restart: the server process is replaced; the new one takes over the message log, so cursors stay valid. latency: latency (and jitter) added by a fault proxy between clients and server, which is then in the path for the whole run.',
      ),
    at: durationMs('5s').describe(
      'When, counted from the start of publishing (the start of warmup); must fall before warmup + duration ends.',
    ),
    fraction: z.number().optional().describe("drop: the share of the server's connections reset, 0 to 1 (every k-th, exactly)."),
    for: durationMs('1s')
      .optional()
      .describe('stall: how long the server stays stopped. latency: how long the latency lasts. Must end before warmup + duration does.'),
    latency: durationMs('100ms').optional().describe('latency: added to every chunk in each direction.'),
    jitter: durationMs('20ms')
      .optional()
      .describe('latency: up to this much more per chunk, uniformly at random (order is kept). Default 0.'),
  })
  .superRefine((f, ctx) => {
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const kind = f.fault as FaultKind;
    if (!FAULT_KINDS.includes(kind)) {
      const guess = didYouMean(f.fault, FAULT_KINDS);
      return fail('fault', `unknown fault "${f.fault}"${guess ? `, did you mean "${guess}"?` : ''} (known: ${FAULT_KINDS.join(', ')})`);
    }
    const { takes, needs } = FAULT_FIELDS[kind];
    for (const key of ['fraction', 'for', 'latency', 'jitter'] as const) {
      const given = f[key] !== undefined;
      if (given && !takes.includes(key))
        fail(key, `a ${kind} fault takes no ${key}${takes.length ? ` (it takes ${takes.join(', ')})` : ''}`);
      if (!given && needs.includes(key)) fail(key, `a ${kind} fault needs ${key}`);
    }
    if (f.fraction !== undefined && !(f.fraction >= 0 && f.fraction <= 1))
      fail('fraction', `must be a fraction from 0 to 1, got ${f.fraction}`);
  })
  .describe('A fault injected at a given time: drop, stall, restart or latency.');

/** The fields of a scenario up to its models' sections (and `$schema` for editors). */
const leadingShape = {
  $schema: z.string().optional().describe('The JSON Schema this file follows (for editors).'),
  name: z.string().min(1).default('custom').describe('Short name; names the result file.'),
  description: z
    .string()
    .default('')
    .describe('The question this scenario answers, in one sentence (the first line is shown by `connbench list`).'),
  models: z
    .array(z.enum(MODEL_IDS as [ModelId, ...ModelId[]]))
    .min(1)
    .default([...MODEL_IDS])
    .describe('The models to run, in this order.'),
  clients: axis(wholeNumber(1, MAX_CLIENTS), 'Simulated clients (users) per model.').default(1000),
  rampUp: durationMs('5s')
    .optional()
    .describe('Connect the clients evenly over this long (default 5s). Give rampUp or connectRate, not both.'),
  connectRate: ratePerSec('500/s', { orZero: false }).optional().describe('Connect clients at this rate instead of over a fixed rampUp.'),
  warmup: durationMs('2s').default(2000).describe('Messages flow but latency is not recorded yet.'),
  duration: durationMs('10s', { above: 0 }).default(10_000).describe('The measured window.'),
  drainTimeout: durationMs('10s')
    .default(10_000)
    .describe('After publishing stops: how long clients may take to catch up before the rest counts as lost.'),
  workload: workloadSchema.prefault({}),
  churn: ratePerSec('5/s')
    .default(0)
    .describe('Connections per second (over all clients) that close and reconnect, resuming from their cursor, while messages flow.'),
  actions: z.array(actionSchema).default([]).describe('Timed events during the run, e.g. [{ action: reconnect-storm, at: 5s }].'),
};

/** The fields after the models' sections. */
const trailingShape = {
  tls: tlsSchema,
  intermediary: intermediarySchema,
  heartbeat: z
    .strictObject({
      interval: axis(durationMs('15s'), 'sse, websocket, tcp: the server sends a heartbeat this often.').default(15_000),
      timeout: durationMs('30s').default(30_000).describe('A peer silent this long after a heartbeat is dead.'),
    })
    .prefault({}),
  server: z
    .strictObject({
      retention: axis(
        wholeNumber(1, MAX_RETENTION),
        'Messages the server log keeps; a cursor older than this gets an explicit gap (counted as lost).',
      ).default(100_000),
      processes: wholeNumber(1, MAX_SERVER_PROCESSES)
        .default(1)
        .describe(
          "Reference server processes, each on its own ports with an even share of the clients and the same publishing schedule (so sequence numbers stay global), for more connections than one process's ~18,000 sockets. broadcast and idle only: chat would need a relay between them.",
        ),
      slowReaderQueue: sizeBytes('1MiB', { min: 16 * 1024, max: 1024 ** 3 })
        .default(DEFAULT_SLOW_READER_QUEUE_BYTES)
        .describe(
          'A push connection whose unsent bytes pass this (beyond what one write turn queued: a resume, a burst) is cut as a slow reader, counted as server.slowReaderCuts.',
        ),
      stallTimeout: durationMs('30s', { above: 0 })
        .default(DEFAULT_STALL_TIMEOUT_MS)
        .describe(
          'A request (headers and body) or a tcp frame must arrive whole within this long of its first byte, or its connection is cut.',
        ),
    })
    .prefault({}),
  client: z
    .strictObject({
      workers: wholeNumber(0, MAX_WORKERS)
        .default(0)
        .describe('Client worker processes; 0 = as many as the connection count needs (at least 1).'),
      sourceAddresses: wholeNumber(1, MAX_SOURCE_ADDRESSES)
        .default(1)
        .describe('Loopback source addresses to spread connections over (127.0.0.1, 127.0.0.2, …).'),
      busyPoll: z
        .boolean()
        .default(false)
        .describe(
          "Client workers never sleep from the start of publishing to the end of the drain: a message is read as soon as the kernel has it, without the machine's wake-up from idle (0.1-0.4 ms on a shared VM). Costs a core per worker, so their CPU figures are not reported; for latency runs with few clients.",
        ),
      resume: axis(
        z.enum(RESUME_MODES),
        'cursor: a reconnect resumes where the client was (Last-Event-ID, cursor). none: it starts from now, as naive long polling does, and the gap counts as lost.',
      ).default('cursor'),
      reconnect: z
        .strictObject({
          minDelay: durationMs('50ms')
            .default(50)
            .describe('Backoff ceiling of the first reconnect attempt (full jitter: the delay is uniform below the ceiling).'),
          maxDelay: durationMs('2s').default(2000).describe('The ceiling doubles per failed attempt up to this.'),
        })
        .prefault({}),
    })
    .prefault({}),
  thresholds: z
    .record(z.string(), z.string())
    .default({})
    .describe('"<model or *>.<metric>": "<op> <value with unit>", e.g. "*.lost": "== 0".'),
  faults: z
    .array(faultSchema)
    .default([])
    .describe('Faults during the run, e.g. [{ fault: drop, at: 3s, fraction: 0.5 }, { fault: stall, at: 5s, for: 1s }]; one at a time.'),
};

/** The scenario as the code knows it; each model's own section is added from the registry below. */
const coreSchema = z.strictObject({ ...leadingShape, ...trailingShape });

/** Every model's section at its key, defaults filled in when the file leaves it out. */
const sectionShape = Object.fromEntries(modelSections().map(({ section }) => [section.key, section.schema.prefault({})]));

/**
 * The whole scenario: the core fields, then each model's own section (`shortPoll:`, `sse:`, …)
 * from the registry, so a model's options are declared in its folder and appear here, in the
 * JSON Schema and in `validate --resolved` without an edit outside it. Typed as the core: a
 * section's values are read through the model (src/scenario/modelOptions.ts).
 */
export const scenarioSchema = (
  z.strictObject({ ...leadingShape, ...sectionShape, ...trailingShape }) as unknown as typeof coreSchema
).superRefine((s, ctx) => {
  // Cross-field rules: each names the field to change, so nothing is silently ignored.
  const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
  const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (s.rampUp !== undefined && s.connectRate !== undefined) fail(['connectRate'], 'give rampUp or connectRate, not both');
  const w = s.workload;
  const smallest = Math.min(...list(s.clients));
  if (w.pattern !== 'chat' && list(w.roomSize).some((k) => k > 1))
    fail(['workload', 'roomSize'], `only the chat pattern has rooms (pattern is ${w.pattern})`);
  if (w.pattern !== 'idle' && w.burst > 0) fail(['workload', 'burst'], `only the idle pattern ends with a burst (pattern is ${w.pattern})`);
  if (w.pattern === 'chat' && smallest < 2) fail(['clients'], 'chat needs at least 2 clients, so a user has someone to send to');
  const biggestRoom = Math.max(...list(w.roomSize));
  if (w.pattern === 'chat' && biggestRoom > smallest)
    fail(['workload', 'roomSize'], `a room of ${biggestRoom} needs at least ${biggestRoom} clients; the smallest point has ${smallest}`);
  if (w.pattern !== 'idle' && list(w.rate).some((r) => r <= 0))
    fail(['workload', 'rate'], 'must be above 0/s (use pattern: idle for no messages)');
  const biggestPayload = Math.max(...list(w.payload));
  if (w.pattern === 'chat' && biggestPayload > MAX_CHAT_PAYLOAD_BYTES)
    fail(
      ['workload', 'payload'],
      `must be at most ${formatBytesExact(MAX_CHAT_PAYLOAD_BYTES)} in chat (a client may send at most 1 MiB), got ${formatBytesExact(biggestPayload)}`,
    );
  const windowMs = s.warmup + s.duration;
  s.actions.forEach((a, i) => {
    if (a.at >= windowMs) fail(['actions', i, 'at'], `${a.at} ms is not before the end of warmup + duration (${windowMs} ms)`);
    // Recovery is measured from one storm to the end of the run; a second would blur both.
    // Every action is a reconnect-storm (ACTIONS has no other), so any after the first is a second.
    if (i > 0) fail(['actions', i], 'one reconnect-storm per scenario');
  });
  if (s.client.reconnect.minDelay > s.client.reconnect.maxDelay) fail(['client', 'reconnect', 'minDelay'], 'must not exceed maxDelay');
  // Faults take turns: each ends before the next starts, so each recovery is measured on its own.
  let previous: { at: number; endMs: number; fault: string } | undefined;
  [...s.faults.entries()]
    .sort(([, a], [, b]) => a.at - b.at)
    .forEach(([i, f]) => {
      const endMs = f.at + (f.for ?? 0);
      if (f.at >= windowMs) fail(['faults', i, 'at'], `${f.at} ms is not before the end of warmup + duration (${windowMs} ms)`);
      else if (endMs > windowMs)
        fail(['faults', i, 'for'], `the ${f.fault} lasts until ${endMs} ms, past the end of warmup + duration (${windowMs} ms)`);
      if (previous && (f.at < previous.endMs || f.at === previous.at))
        fail(
          ['faults', i, 'at'],
          `starts at ${f.at} ms, while the ${previous.fault} at ${previous.at} ms is under way (until ${previous.endMs} ms); faults take turns`,
        );
      previous = { at: f.at, endMs: Math.max(endMs, previous?.endMs ?? 0), fault: f.fault };
    });
  if (s.faults.length > 0 && s.actions.length > 0)
    fail(['faults'], 'faults and a reconnect-storm measure recovery on the same clients: use one or the other in a scenario');
  for (const p of networkProblems(s, { models: s.models, processes: s.server.processes })) fail(p.path, p.message);
});

/** Each model's section by its key, as written (input), parsed, or resolved (the model reads it). */
export type ModelSections = { [sectionKey: string]: unknown };

export type ScenarioInput = z.input<typeof scenarioSchema> & ModelSections;
export type ScenarioParsed = z.output<typeof scenarioSchema> & ModelSections;

export const DEFAULT_RAMP_UP_MS = 5000;

export type ActionName = (typeof ACTIONS)[number];

/** One point of the matrix, as the result JSON records it: every axis holds a single value. */
export type ScenarioCore = {
  name: string;
  description: string;
  models: ModelId[];
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
  heartbeat: { intervalMs: number; timeoutMs: number };
  /** TLS at this point: on every model, or on none. */
  tls: TlsSettings;
  /** What stands between the clients and the server at this point. */
  intermediary: IntermediarySettings;
  server: { retention: number; processes: number; slowReaderQueueBytes: number; stallTimeoutMs: number };
  client: {
    workers: number;
    sourceAddresses: number;
    /** The workers' event loops poll without sleeping while messages flow (src/client/busyPoll.ts). */
    busyPoll: boolean;
    resume: ResumeMode;
    reconnect: { minDelayMs: number; maxDelayMs: number };
  };
  thresholds: Record<string, string>;
  /** Faults, `atMs` after the start of publishing, in time order. */
  faults: Fault[];
};

/** A resolved point: the core fields and each model's own section, resolved (`sse: { retryMs, … }`). */
export type ResolvedScenario = ScenarioCore & ModelSections;

/** A resolved point and the matrix values that made it, e.g. { clients: 1000 } (empty without a matrix). */
export type Scenario = ResolvedScenario & { matrix: MatrixPoint };

/** The axis values of one matrix point, by axis path: { clients: 1000, 'client.resume': 'none' }. */
export type MatrixPoint = Record<string, number | string>;

/** One fault of a resolved scenario (src/runner/faults.ts carries it out). */
export type Fault =
  | { fault: 'drop'; atMs: number; fraction: number }
  | { fault: 'stall'; atMs: number; forMs: number }
  | { fault: 'restart'; atMs: number }
  | { fault: 'latency'; atMs: number; latencyMs: number; jitterMs: number; forMs: number };

/** A validated fault as the file gave it → its resolved form. */
export function resolveFault(f: ScenarioParsed['faults'][number]): Fault {
  const kind = f.fault as FaultKind;
  switch (kind) {
    case 'drop':
      return { fault: kind, atMs: f.at, fraction: f.fraction! };
    case 'stall':
      return { fault: kind, atMs: f.at, forMs: f.for! };
    case 'restart':
      return { fault: kind, atMs: f.at };
    case 'latency':
      return { fault: kind, atMs: f.at, latencyMs: f.latency!, jitterMs: f.jitter ?? 0, forMs: f.for! };
  }
}
