import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { sseModel } from '../../src/models/sse/index.js';
import { SseParser, type SseEvent } from '../../src/models/sse/parser.js';
import type { ClientSession, SessionSink } from '../../src/client/session.js';
import type { Model } from '../../src/models/types.js';
import { SSE_CLIENTS } from '../../src/models/sse/clientChoice.js';
import { LeanSseClient } from '../../src/models/sse/leanClient.js';
import { SseClient } from '../../src/models/sse/client.js';
import type { Incoming } from '../../src/models/message.js';
import type { ConnbenchError } from '../../src/util/errors.js';
import { nowUs } from '../../src/metrics/clock.js';
import {
  anyListener,
  clientOptions,
  closeSharedAgent,
  collectingSink,
  newSession,
  sharedAgent,
  startHost,
  waitFor,
} from '../helpers/harness.js';
import { handler, withClient } from './sseHelpers.js';

type Host = Awaited<ReturnType<typeof startHost>>;

const hosts: Host[] = [];
const sessions: ClientSession[] = [];
const cleanups: (() => unknown)[] = [];

const CLIENT_KINDS = SSE_CLIENTS.filter((k) => k !== 'auto');

async function host(opts: Parameters<typeof startHost>[1] = {}): Promise<Host> {
  const h = await startHost([sseModel], opts);
  hosts.push(h);
  return h;
}

function session(model: Model, h: Host, clientId: number, sink: SessionSink = collectingSink()): ClientSession {
  const s = newSession(model, h, clientId, sink);
  sessions.push(s);
  return s;
}

/** A raw `GET /events` read through our own parser, to see exactly what is on the wire. */
async function rawStream(h: Host, query: string, headers: Record<string, string> = {}) {
  const res = await request(`http://127.0.0.1:${h.httpPort}/events${query}`, { headers, dispatcher: sharedAgent() });
  const events: SseEvent[] = [];
  const comments: { text: string; atMs: number }[] = [];
  const retries: number[] = [];
  const parser = new SseParser({
    onEvent: (e) => events.push(e),
    onComment: (text) => comments.push({ text, atMs: performance.now() }),
    onRetry: (ms) => retries.push(ms),
  });
  res.body.on('data', (chunk: Buffer) => parser.feed(chunk));
  res.body.on('error', () => undefined);
  const close = () => res.body.destroy();
  cleanups.push(close);
  const seqs = () => events.filter((e) => e.type === 'message').map((e) => (JSON.parse(e.data) as { seq: number }).seq);
  return { res, events, comments, retries, seqs, close };
}

afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await Promise.all(sessions.splice(0).map((s) => s.stop()));
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

afterAll(async () => {
  await closeSharedAgent();
});

describe('sse server', () => {
  it('resumes from Last-Event-ID, which wins over ?cursor', async () => {
    const h = await host();
    h.publish(10);
    const raw = await rawStream(h, '?cursor=0&user=u1', { 'last-event-id': '5' });
    expect(raw.res.statusCode).toBe(200);
    expect(raw.res.headers['content-type']).toBe('text/event-stream');
    expect(raw.res.headers['cache-control']).toBe('no-cache');
    await waitFor(() => raw.seqs().length === 5, 'the backlog after id 5');
    h.publish(5);
    await waitFor(() => raw.seqs().length === 10, 'the live messages');
    expect(raw.retries).toEqual([100]);
    expect(raw.events[0]).toEqual({ type: 'hello', data: '{"cursor":5}', lastEventId: '5' });
    expect(raw.seqs()).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(raw.events.at(-1)!.lastEventId).toBe('15');
  });

  it('sends a heartbeat comment to every stream at the configured interval', async () => {
    const intervalMs = 50;
    const h = await host({ settings: { heartbeat: { intervalMs, timeoutMs: 200 } } });
    const a = await rawStream(h, '');
    const b = await rawStream(h, '?user=u2');
    await waitFor(() => a.comments.length >= 6 && b.comments.length >= 6, 'six heartbeats on each stream');
    for (const raw of [a, b]) {
      expect(raw.comments.every((c) => c.text === '')).toBe(true);
      const spanMs = raw.comments[5]!.atMs - raw.comments[0]!.atMs;
      // Five intervals; timers never fire early by more than a tick, a loaded machine may run late.
      expect(spanMs).toBeGreaterThanOrEqual(5 * intervalMs - 10);
      expect(spanMs).toBeLessThan(5 * intervalMs * 4);
    }
  });
});

describe.each(CLIENT_KINDS)('sse model with the %s client', (kind) => {
  const model = withClient(kind);

  it('delivers 200 messages to 5 sessions exactly once and in order', async () => {
    const h = await host();
    const all = [1, 2, 3, 4, 5].map((id) => session(model, h, id));
    await Promise.all(all.map((s) => s.start()));
    for (let batch = 0; batch < 10; batch++) {
      h.publish(20);
      // Let the server flush between batches so they arrive as separate writes.
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => all.every((s) => s.tracker.unique === 200), '200 messages at every session');
    for (const s of all) {
      expect(s.tracker.startCursor).toBe(0);
      expect(s.tracker.duplicates).toBe(0);
      expect(s.tracker.reordered).toBe(0);
    }
  });

  it('resumes by cursor across a forced disconnect with nothing lost or duplicated', async () => {
    const h = await host();
    const sink = collectingSink();
    const s = session(model, h, 1, sink);
    await s.start();
    h.publish(30);
    await waitFor(() => s.tracker.unique === 30, 'the first 30 messages');
    h.publish(10);
    s.drop();
    // Published while the session is down or reconnecting: must come from the backlog.
    h.publish(30);
    await waitFor(() => s.reconnects >= 1 && s.connected, 'the reconnect');
    h.publish(30);
    const expected = () => h.host.log.expectedCount(s.tracker.startCursor!, h.host.log.head, 'u1');
    await waitFor(() => s.tracker.unique === expected(), 'every message after the reconnect');
    expect(expected()).toBe(100);
    expect(s.tracker.duplicates).toBe(0);
    expect(s.tracker.reordered).toBe(0);
    expect(sink.disconnects).toBeGreaterThanOrEqual(1);
  });

  it('signals a gap to a cursor older than retention, and the tracker counts it', async () => {
    const h = await host({ retention: 10 });
    h.publish(30);
    const raw = await rawStream(h, '?cursor=0');
    await waitFor(() => raw.seqs().length === 10, 'the retained backlog');
    expect(raw.events[1]).toEqual({ type: 'gap', data: '{"fromSeq":1,"toSeq":20}', lastEventId: '0' });
    expect(raw.seqs()).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);

    const s = session(model, h, 1);
    // As if this session had subscribed at 0 and fallen behind retention while away.
    s.tracker.subscribed(0);
    await s.start();
    await waitFor(() => s.tracker.unique === 10, 'the retained messages');
    expect(s.tracker.gapped).toBe(20);
    expect(s.tracker.unique + s.tracker.gapped).toBe(h.host.log.expectedCount(0, h.host.log.head, 'u1'));
  });

  it('keeps a client alive on heartbeats alone, and drops a silent peer', async () => {
    const h = await host({ settings: { heartbeat: { intervalMs: 30, timeoutMs: 60 } } });
    let heartbeats = 0;
    const errors: ConnbenchError[] = [];
    const client = model.createClient(
      { ...clientOptions(sseModel, h, 1), heartbeat: { intervalMs: 30, timeoutMs: 60 }, cursor: null },
      handler({ onHeartbeat: () => heartbeats++, onError: (e) => errors.push(e) }),
    );
    cleanups.push(() => void client.close());
    await client.connect();
    // 12 heartbeats take about 360 ms, four times the 90 ms the watchdog allows a silence.
    await waitFor(() => heartbeats >= 12, 'twelve heartbeats');
    expect(errors).toEqual([]);

    const silent = await silentSseServer();
    const closedAt: number[] = [];
    const dead = model.createClient(
      { ...clientOptions(sseModel, anyListener(silent.port), 2), heartbeat: { intervalMs: 30, timeoutMs: 60 }, cursor: null },
      handler({ onError: (e) => errors.push(e), onClose: (atUs) => closedAt.push(atUs) }),
    );
    cleanups.push(() => void dead.close());
    await dead.connect();
    await waitFor(() => closedAt.length === 1, 'the silent peer to be dropped', 5000);
    expect(errors.map((e) => e.code)).toEqual(['CB_ERR_HEARTBEAT_TIMEOUT']);
    await dead.close();
    expect(closedAt).toHaveLength(1);
  });

  it('does not deliver chat messages addressed to another user', async () => {
    const h = await host();
    const seen = new Map<number, Incoming[]>([
      [1, []],
      [2, []],
    ]);
    const sinkFor = (id: number) => ({ ...collectingSink(), latency: (_us: number, m: Incoming) => seen.get(id)!.push(m) });
    const s1 = session(model, h, 1, sinkFor(1));
    const s2 = session(model, h, 2, sinkFor(2));
    await Promise.all([s1.start(), s2.start()]);
    h.publish(3);
    for (let i = 0; i < 5; i++) h.host.log.append({ t: nowUs(), from: 'u9', to: 'u2', body: 'for u2' });
    // A send from a session travels by POST /send and comes back only to its recipient.
    expect(s1.send({ to: 'u2', t: nowUs(), body: 'from u1' })).toBe(true);
    await waitFor(() => h.host.log.head === 9, 'the POST /send to be appended');
    h.publish(3);
    const head = () => h.host.log.head;
    await waitFor(() => s2.tracker.unique === h.host.log.expectedCount(0, head(), 'u2'), 'u2 to get its messages');
    await waitFor(() => s1.tracker.unique === h.host.log.expectedCount(0, head(), 'u1'), 'u1 to get the broadcasts');
    expect(s2.tracker.unique).toBe(12);
    expect(s1.tracker.unique).toBe(6);
    expect(seen.get(1)!.every((m) => m.to === undefined)).toBe(true);
    expect(
      seen
        .get(2)!
        .filter((m) => m.to === 'u2')
        .map((m) => m.from),
    ).toEqual(['u9', 'u9', 'u9', 'u9', 'u9', 'u1']);
  });

  it('answers 400 CB_ERR_BAD_CURSOR to a cursor that is not a non-negative integer', async () => {
    const h = await host();
    for (const [query, headers] of [
      ['?cursor=-1', {}],
      ['?cursor=abc', {}],
      ['?cursor=1.5', {}],
      ['?cursor=', {}],
      ['?cursor=3', { 'last-event-id': 'x' }],
    ] as const) {
      const res = await request(`http://127.0.0.1:${h.httpPort}/events${query}`, { headers, dispatcher: sharedAgent() });
      expect(res.statusCode, query).toBe(400);
      expect(((await res.body.json()) as { error: string }).error).toBe('CB_ERR_BAD_CURSOR');
    }
    expect(h.host.counters.badRequests).toBe(5);
    // The client rejects connect() with the server's own code.
    let closes = 0;
    const client = model.createClient({ ...clientOptions(sseModel, h, 1), cursor: -1 }, handler({ onClose: () => closes++ }));
    await expect(client.connect()).rejects.toMatchObject({ code: 'CB_ERR_BAD_CURSOR' });
    expect(closes).toBe(1);
  });

  it('creates the client it was asked for', () => {
    const client = model.createClient({ ...clientOptions(sseModel, anyListener(1), 1), cursor: null }, handler());
    expect(client).toBeInstanceOf(kind === 'lean' ? LeanSseClient : SseClient);
  });

  it('rejects connect() with CB_ERR_CONN_REFUSED when nothing listens, and closes once', async () => {
    const port = await freedPort();
    let closes = 0;
    const client = model.createClient(
      { ...clientOptions(sseModel, anyListener(port), 1), cursor: null },
      handler({ onClose: () => closes++ }),
    );
    await expect(client.connect()).rejects.toMatchObject({ code: 'CB_ERR_CONN_REFUSED' });
    await client.close();
    expect(closes).toBe(1);
  });

  it('rejects connect() with CB_ERR_PROTOCOL for a 200 that is not an event stream, or a hello without a cursor', async () => {
    for (const [type, body] of [
      ['text/plain', 'event: hello\ndata: {"cursor":0}\n\n'],
      ['text/event-stream', 'event: hello\ndata: {"cursor":"x"}\n\n'],
    ] as const) {
      const peer = await scriptedSseServer((res) => {
        res.writeHead(200, { 'content-type': type });
        res.write(body);
      });
      const errors: string[] = [];
      let closes = 0;
      const client = model.createClient(
        { ...clientOptions(sseModel, anyListener(peer.port), 1), cursor: null },
        handler({ onError: (e) => errors.push(e.code), onClose: () => closes++ }),
      );
      await expect(client.connect(), type).rejects.toMatchObject({ code: 'CB_ERR_PROTOCOL' });
      expect(errors).toEqual([]);
      expect(closes).toBe(1);
    }
  });

  it('reports CB_ERR_STREAM_ENDED once when the server ends the stream, then closes once', async () => {
    const peer = await scriptedSseServer((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 100\nevent: hello\nid: 4\ndata: {"cursor":4}\n\n');
      res.end('id: 5\ndata: {"seq":5,"t":1,"body":"ü€😀"}\n\n');
    });
    const seen: string[] = [];
    const client = model.createClient(
      { ...clientOptions(sseModel, anyListener(peer.port), 1), cursor: null },
      handler({
        onSubscribed: (cursor) => seen.push(`subscribed ${cursor}`),
        onMessage: (m) => seen.push(`message ${m.seq}`),
        onError: (e) => seen.push(e.code),
        onClose: () => seen.push('close'),
      }),
    );
    await client.connect();
    await waitFor(() => seen.includes('close'), 'the stream to end');
    await client.close();
    expect(seen).toEqual(['subscribed 4', 'message 5', 'CB_ERR_STREAM_ENDED', 'close']);
  });

  it('ends every stream on close() and leaves no subscriber behind', async () => {
    const h = await host();
    const all = [1, 2, 3].map((id) => session(model, h, id));
    await Promise.all(all.map((s) => s.start()));
    expect(h.host.hub.size).toBe(3);
    await h.host.close();
    expect(h.host.hub.size).toBe(0);
    await waitFor(() => all.every((s) => !s.connected), 'every session to see its stream end');
  });
});

describe('the lean SSE client against a server that never ends a line', () => {
  it('gives the stream up with CB_ERR_FRAME_TOO_LARGE past the 16 MiB every client keeps, instead of holding it all', async () => {
    const MIB = 1 << 20;
    const peer = await scriptedSseServer((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: hello\nid: 0\ndata: {"cursor":0}\n\ndata: ');
      // Bounded: 20 MiB of one line, written as the client reads it.
      let sent = 0;
      const more = (): void => {
        while (sent < 20 && !res.destroyed) {
          sent++;
          if (!res.write('x'.repeat(MIB))) return void res.once('drain', more);
        }
      };
      more();
    });
    const seen: string[] = [];
    const client = withClient('lean').createClient(
      { ...clientOptions(sseModel, anyListener(peer.port), 1), cursor: null },
      handler({
        onSubscribed: (cursor) => seen.push(`subscribed ${cursor}`),
        onError: (e) => seen.push(e.code),
        onClose: () => seen.push('close'),
      }),
    );
    expect(client).toBeInstanceOf(LeanSseClient);
    await client.connect();
    await waitFor(() => seen.includes('close'), 'the client to give the stream up');
    expect(seen).toEqual(['subscribed 0', 'CB_ERR_FRAME_TOO_LARGE', 'close']);
  });
});

/** A port that was free a moment ago: nothing listens on it. */
async function freedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An HTTP server whose every answer is written by `answer`, for responses the reference server never gives. */
async function scriptedSseServer(answer: (res: http.ServerResponse) => void): Promise<{ port: number }> {
  const server = http.createServer((_req, res) => answer(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port };
}

/** A peer that says hello and then goes silent, as a dead server behind a live socket would. */
async function silentSseServer(): Promise<{ port: number }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('event: hello\nid: 0\ndata: {"cursor":0}\n\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port };
}
