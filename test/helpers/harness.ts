import { Agent } from 'undici';
import { ReferenceHost } from '../../src/server/host.js';
import type { ClientOptions, Model, ModelServer, ServerSettings } from '../../src/models/types.js';
import type { ListenerTls, Ports } from '../../src/models/listeners.js';
import { ClientSession, type SessionSink } from '../../src/client/session.js';
import { nowUs } from '../../src/metrics/clock.js';
import { paddingOf } from '../../src/models/message.js';

export const TEST_SETTINGS: ServerSettings = {
  heartbeat: { intervalMs: 1000, timeoutMs: 3000 },
};

/**
 * Each model's options in these tests, where they differ from a scenario's defaults: quick polls and
 * retries, and the reference SSE client (the one the conformance tests were written against).
 */
const TEST_MODEL_OPTIONS: Record<string, Record<string, unknown>> = {
  'short-poll': { intervalMs: 20 },
  'long-poll': { holdMs: 2000 },
  sse: { retryMs: 100, client: 'reference', echo: false },
};

/** A model's options for a test: its scenario defaults, the tests' own, then `overrides`. */
export function testOptions(model: Model, overrides: Record<string, unknown> = {}): unknown {
  if (!model.section) return undefined;
  const defaults = model.section.resolve(model.section.schema.parse({}) as Record<string, unknown>) as Record<string, unknown>;
  return { ...defaults, ...TEST_MODEL_OPTIONS[model.id], ...overrides };
}

/**
 * A reference host on free ports with the given models attached, in this process. A model is
 * attached as itself (with `options[id]` over its test options) or as a ready server.
 */
export async function startHost(
  models: (Model | ModelServer)[],
  opts: {
    retention?: number;
    settings?: Partial<ServerSettings>;
    options?: Record<string, Record<string, unknown>>;
    tls?: ListenerTls;
  } = {},
) {
  const host = new ReferenceHost({
    retention: opts.retention ?? 10_000,
    settings: { ...TEST_SETTINGS, ...opts.settings },
    ports: { http: 0, tcp: 0 },
    ...(opts.tls ? { tls: opts.tls } : {}),
  });
  for (const m of models) host.attach('createServer' in m ? m.createServer(testOptions(m, opts.options?.[m.id])) : m);
  const ports = await host.listen();
  return {
    host,
    ports,
    httpPort: ports.http!,
    tcpPort: ports.tcp!,
    /** Appends n broadcast messages stamped now. */
    publish(n: number, payloadBytes = 64) {
      for (let i = 0; i < n; i++) host.log.append({ t: nowUs(), body: paddingOf(payloadBytes) });
    },
    close: () => host.close(),
  };
}

/** Collects what sessions report, for assertions. */
export function collectingSink() {
  const sink = {
    latencies: [] as number[],
    errors: [] as string[],
    connects: 0,
    disconnects: 0,
    latency(us: number) {
      sink.latencies.push(us);
    },
    connected() {
      sink.connects++;
    },
    error(code: string) {
      sink.errors.push(code);
    },
    disconnected() {
      sink.disconnects++;
    },
  } satisfies SessionSink & Record<string, unknown>;
  return sink;
}

/** Where a test's clients connect: a started host, or any listeners by kind. */
export type Target = { ports: Ports };

/**
 * A client's options for `model` against `target`: its listener's port, the model's test options
 * with `extra.modelOptions` over them, and the rest of `extra`.
 */
export function clientOptions(
  model: Model,
  target: Target,
  clientId: number,
  extra: Partial<Omit<ClientOptions, 'modelOptions'>> & { modelOptions?: Record<string, unknown> } = {},
): Omit<ClientOptions, 'cursor'> {
  const { modelOptions, ...rest } = extra;
  return {
    clientId,
    user: `u${clientId}`,
    host: '127.0.0.1',
    port: target.ports[model.listener] ?? 0,
    heartbeat: { intervalMs: 1000, timeoutMs: 3000 },
    dispatcher: sharedAgent(),
    clientsInPoint: 1,
    modelOptions: testOptions(model, modelOptions),
    ...rest,
  };
}

/** A target with one port for every listener kind: a fake server, or a port nothing listens on. */
export function anyListener(port: number): Target {
  return { ports: { http: port, tcp: port } };
}

let agent: Agent | undefined;
export function sharedAgent(): Agent {
  agent ??= new Agent({ keepAliveTimeout: 30_000, pipelining: 1 });
  return agent;
}

export async function closeSharedAgent(): Promise<void> {
  const a = agent;
  agent = undefined;
  if (a) await a.close();
}

export function newSession(model: Model, target: Target, clientId: number, sink: SessionSink = collectingSink()) {
  return new ClientSession(model, clientOptions(model, target, clientId), sink, { minDelayMs: 10, maxDelayMs: 100, resume: 'cursor' });
}

/** Polls a condition until true; fails with the message after timeoutMs (bounded, no bare sleeps). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
