import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { sseModel } from '../../src/models/sse/index.js';
import { SseParser, type SseEvent } from '../../src/models/sse/parser.js';
import { TabConnections } from '../../src/client/dispatchers.js';
import { nowUs } from '../../src/metrics/clock.js';
import { clientOptions, closeSharedAgent, sharedAgent, startHost, waitFor } from '../helpers/harness.js';
import { handler, withClient } from './sseHelpers.js';

/**
 * Heartbeat echo (the sse `echo` option): the hello names the stream, the client answers every
 * heartbeat with `POST /events/alive?stream=K`, and the server ends a stream whose client stopped
 * answering, as a dead peer. Without echo the stream is as it always was.
 */

type Host = Awaited<ReturnType<typeof startHost>>;

const HEARTBEAT = { intervalMs: 100, timeoutMs: 300 };
/** A host whose SSE server asks for heartbeat echoes, with a quick heartbeat. */
const ECHO = { settings: { heartbeat: HEARTBEAT }, options: { sse: { echo: true } } };

const hosts: Host[] = [];
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

afterAll(async () => {
  await closeSharedAgent();
});

async function host(settings: Parameters<typeof startHost>[1] = {}): Promise<Host> {
  const h = await startHost([sseModel], settings);
  hosts.push(h);
  return h;
}

/** A client's own connections as the runner gives them: the stream (GET) on one, every POST on another. */
function tabDispatcher(h: Host): TabConnections {
  const d = new TabConnections(`http://127.0.0.1:${h.httpPort}`, undefined, new Set());
  cleanups.push(() => d.destroy());
  return d;
}

/** A `GET /events` read through our own parser. */
async function rawStream(h: Host) {
  const res = await request(`http://127.0.0.1:${h.httpPort}/events`, { dispatcher: sharedAgent() });
  const events: SseEvent[] = [];
  const parser = new SseParser({ onEvent: (e) => events.push(e) });
  res.body.on('data', (chunk: Buffer) => parser.feed(chunk));
  res.body.on('error', () => undefined);
  const close = () => res.body.destroy();
  cleanups.push(close);
  await waitFor(() => events.length > 0, 'the hello');
  return { hello: events[0]!, close };
}

/** Publishes a message every 20 ms until the test ends: streams that carry data, not only heartbeats. */
function keepPublishing(h: Host): void {
  const timer = setInterval(() => h.publish(1), 20);
  cleanups.push(() => clearInterval(timer));
}

function alive(h: Host, query: string) {
  return request(`http://127.0.0.1:${h.httpPort}/events/alive${query}`, { method: 'POST', dispatcher: sharedAgent() });
}

async function errorOf(res: Awaited<ReturnType<typeof alive>>): Promise<string> {
  return ((await res.body.json()) as { error: string }).error;
}

describe('sse heartbeat echo: the server', () => {
  it('names the stream in the hello only with echo on, a new id per stream', async () => {
    const off = await host();
    expect((await rawStream(off)).hello).toEqual({ type: 'hello', data: '{"cursor":0}', lastEventId: '0' });
    const on = await host(ECHO);
    on.publish(3);
    const first = await rawStream(on);
    const second = await rawStream(on);
    const firstStream = (JSON.parse(first.hello.data) as { stream: number }).stream;
    expect(first.hello).toEqual({ type: 'hello', data: `{"cursor":3,"stream":${firstStream}}`, lastEventId: '3' });
    expect(second.hello.data).toBe(`{"cursor":3,"stream":${firstStream + 1}}`);
    // Not 1, 2, …: a new server (after a restart) names streams no old client still echoes for.
    expect(firstStream).toBeGreaterThan(1000);
  });

  it('answers an echo of an open stream 204, of an unknown or ended one 404, a bad one 400', async () => {
    const h = await host(ECHO);
    const raw = await rawStream(h);
    const { stream } = JSON.parse(raw.hello.data) as { stream: number };

    const ok = await alive(h, `?stream=${stream}`);
    expect(ok.statusCode).toBe(204);
    expect(await ok.body.text()).toBe('');

    const unknown = await alive(h, `?stream=${stream + 1000}`);
    expect(unknown.statusCode).toBe(404);
    expect(await errorOf(unknown)).toBe('CB_ERR_UNKNOWN_STREAM');

    for (const query of ['', '?stream=', '?stream=abc', '?stream=-1', '?stream=1.5', '?stream=99999999999999999999']) {
      const bad = await alive(h, query);
      expect(bad.statusCode, query).toBe(400);
      expect(await errorOf(bad), query).toBe('CB_ERR_BAD_STREAM');
    }
    expect(h.host.counters.badRequests).toBe(6);

    raw.close();
    await waitFor(() => h.host.hub.size === 0, 'the stream to close at the server');
    const ended = await alive(h, `?stream=${stream}`);
    expect(ended.statusCode).toBe(404);
    expect(await errorOf(ended)).toBe('CB_ERR_UNKNOWN_STREAM');
  });

  it('has no echo route without echo on', async () => {
    const h = await host();
    const res = await alive(h, '?stream=1');
    expect(res.statusCode).toBe(404);
    expect(await errorOf(res)).toBe('CB_ERR_NOT_FOUND');
  });

  it('ends a stream that never echoes after interval + timeout, as one dead peer, data flowing or not', async () => {
    const h = await host(ECHO);
    // What the server writes proves nothing about the client: only an echo keeps the stream.
    keepPublishing(h);
    const socket = net.connect({ host: '127.0.0.1', port: h.httpPort });
    cleanups.push(() => socket.destroy());
    let text = '';
    let firstPingUs: number | undefined;
    let closedUs: number | undefined;
    const openedUs = nowUs();
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      // The heartbeat `:\n\n` as a chunk of the chunked body.
      if (firstPingUs === undefined && text.includes('\r\n3\r\n:\n\n\r\n')) firstPingUs = nowUs();
    });
    socket.on('close', () => (closedUs = nowUs()));
    socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${h.httpPort}\r\nAccept: text/event-stream\r\n\r\n`);
    await waitFor(() => closedUs !== undefined, 'the server to end the silent stream', 5000);

    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const stream = Number(/data: \{"cursor":\d+,"stream":(\d+)\}\n\n/.exec(text)?.[1]);
    expect(stream).toBeGreaterThan(0);
    expect(text).toContain('"body":');
    expect(firstPingUs).toBeDefined();
    expect(h.host.counters.heartbeatTimeouts).toBe(1);
    expect(h.host.counters.heartbeatBytes).toBeGreaterThanOrEqual(3);
    const dead = h.host.deadPeersSince(0);
    expect(dead).toHaveLength(1);
    // Not at the first unanswered heartbeat but the timeout after it. We see that heartbeat a moment
    // after the server stamped it: half the timeout allows for delivery on a loaded machine.
    expect(dead[0]! - firstPingUs!).toBeGreaterThanOrEqual((HEARTBEAT.timeoutMs / 2) * 1000);
    expect(closedUs! - openedUs).toBeGreaterThanOrEqual(HEARTBEAT.timeoutMs * 1000);
    // Generous: a loaded machine runs timers late, never early.
    expect(closedUs! - openedUs).toBeLessThan((HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs + 3000) * 1000);
    expect(h.host.hub.size).toBe(0);
    const after = await alive(h, `?stream=${stream}`);
    expect(await errorOf(after)).toBe('CB_ERR_UNKNOWN_STREAM');
  });

  it('does not end a stream for silence without echo on', async () => {
    const h = await host({ settings: { heartbeat: HEARTBEAT } });
    const raw = await rawStream(h);
    expect(raw.hello.data).toBe('{"cursor":0}');
    // Four timeouts of heartbeats nobody answers.
    await waitFor(() => (h.host.counters.heartbeatBytes ?? 0) >= 12 * 3, 'twelve heartbeats');
    expect(h.host.counters.heartbeatTimeouts).toBeUndefined();
    expect(h.host.hub.size).toBe(1);
  });
});

describe.each(['reference', 'lean'] as const)('sse heartbeat echo: the %s client', (kind) => {
  it('keeps its stream over several timeouts by echoing every heartbeat, between messages', async () => {
    const h = await host(ECHO);
    keepPublishing(h);
    let heartbeats = 0;
    let messages = 0;
    const errors: string[] = [];
    let closes = 0;
    const dispatcher = tabDispatcher(h);
    const client = withClient(kind).createClient(
      { ...clientOptions(sseModel, h, 1), heartbeat: HEARTBEAT, dispatcher, cursor: null },
      handler({
        onHeartbeat: () => heartbeats++,
        onMessage: () => messages++,
        onError: (e) => errors.push(e.code),
        onClose: () => closes++,
      }),
    );
    cleanups.push(() => client.close());
    await client.connect();
    // 12 heartbeats take about 1.2 s: four times the timeout the server allows an unanswered one.
    await waitFor(() => heartbeats >= 12, 'twelve heartbeats', 5000);
    expect(errors).toEqual([]);
    expect(closes).toBe(0);
    expect(messages).toBeGreaterThan(0);
    expect(h.host.counters.heartbeatTimeouts ?? 0).toBe(0);
    expect(h.host.deadPeersSince(0)).toEqual([]);
    expect(h.host.hub.size).toBe(1);
    // The echoes went out: the stream's GET plus at least one POST per heartbeat but the last.
    expect(h.host.wireBytes().httpRequests).toBeGreaterThanOrEqual(1 + 11);
    expect(h.host.counters.sseUnknownStreams).toBeUndefined();
    // On a connection of their own: the stream's (reference client only) and the echoes'.
    expect(dispatcher.made).toBe(kind === 'reference' ? 2 : 1);
  });
});
