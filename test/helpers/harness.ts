import { Agent } from 'undici';
import { ReferenceHost } from '../../src/server/host.js';
import type { ClientOptions, Model, ServerSettings } from '../../src/models/types.js';
import { ClientSession, type SessionSink } from '../../src/client/session.js';
import { nowUs } from '../../src/metrics/clock.js';
import { paddingOf } from '../../src/models/message.js';

export const TEST_SETTINGS: ServerSettings = {
  heartbeat: { intervalMs: 1000, timeoutMs: 3000 },
  maxHoldMs: 30_000,
  sseRetryMs: 100,
};

/** A reference host on port 0 with the given models attached, in this process. */
export async function startHost(models: Model[], opts: { retention?: number; settings?: Partial<ServerSettings> } = {}) {
  const host = new ReferenceHost({ retention: opts.retention ?? 10_000, settings: { ...TEST_SETTINGS, ...opts.settings } });
  for (const m of models) host.attach(m.createServer());
  const { httpPort, tcpPort } = await host.listen();
  return {
    host,
    httpPort,
    tcpPort,
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

export function clientOptions(
  ports: { httpPort: number; tcpPort: number },
  clientId: number,
  extra: Partial<ClientOptions> = {},
): Omit<ClientOptions, 'cursor'> {
  return {
    clientId,
    user: `u${clientId}`,
    host: '127.0.0.1',
    httpPort: ports.httpPort,
    tcpPort: ports.tcpPort,
    heartbeat: { intervalMs: 1000, timeoutMs: 3000 },
    shortPollIntervalMs: 20,
    longPollHoldMs: 2000,
    dispatcher: sharedAgent(),
    ...extra,
  };
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

export function newSession(
  model: Model,
  ports: { httpPort: number; tcpPort: number },
  clientId: number,
  sink: SessionSink = collectingSink(),
) {
  return new ClientSession(model, clientOptions(ports, clientId), sink, { minDelayMs: 10, maxDelayMs: 100, resume: 'cursor' });
}

/** Polls a condition until true; fails with the message after timeoutMs (bounded, no bare sleeps). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
