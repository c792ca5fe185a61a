import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { longPollModel } from '../../src/models/long-poll/index.js';
import { shortPollModel } from '../../src/models/short-poll/index.js';
import type { ClientHandler, Model, ModelClient } from '../../src/models/types.js';
import type { Incoming } from '../../src/models/message.js';
import type { Gap } from '../../src/models/log.js';
import { ConnbenchError } from '../../src/util/errors.js';
import { anyListener, clientOptions, closeSharedAgent, startHost, waitFor, type Target } from '../helpers/harness.js';

/** A handler that records every call, in order. */
function recorder() {
  const r = {
    subscribed: [] as number[],
    messages: [] as Incoming[],
    gaps: [] as Gap[],
    errors: [] as string[],
    heartbeats: 0,
    closes: 0,
    handler: undefined as unknown as ClientHandler,
  };
  r.handler = {
    onSubscribed: (cursor) => void r.subscribed.push(cursor),
    onMessage: (m) => void r.messages.push(m),
    onGap: (g) => void r.gaps.push(g),
    onError: (e) => void r.errors.push(e.code),
    onHeartbeat: () => void r.heartbeats++,
    onClose: () => void r.closes++,
  };
  return r;
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(closeSharedAgent);

function client(model: Model, target: Target, cursor: number | null, extra: Parameters<typeof clientOptions>[3] = {}) {
  const rec = recorder();
  const c: ModelClient = model.createClient({ ...clientOptions(model, target, 1, extra), cursor }, rec.handler);
  cleanups.push(() => c.close());
  return { c, rec };
}

/** An HTTP server that answers the first poll (a subscribe) and then does `later` to the rest. */
async function fakeServer(later: 'hang' | 'fail500') {
  const hanging: http.ServerResponse[] = [];
  const urls: string[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    urls.push(req.url ?? '');
    if (requests++ === 0) return void res.end('{"cursor":0,"messages":[]}');
    if (later === 'fail500') return void res.writeHead(500).end('oops');
    hanging.push(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return { ...anyListener((server.address() as net.AddressInfo).port), requests: () => requests, urls };
}

async function unusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe.each([shortPollModel, longPollModel])('$id client', (model) => {
  it('resumes from its cursor: subscribed at that cursor, then the missed messages', async () => {
    const s = await startHost([model]);
    cleanups.push(s.close);
    s.publish(5);
    const { c, rec } = client(model, s, 3);
    await c.connect();
    expect(rec.subscribed).toEqual([3]);
    expect(rec.messages.map((m) => m.seq)).toEqual([4, 5]);
    s.publish(2);
    await waitFor(() => rec.messages.length === 4, 'later messages');
    expect(rec.messages.map((m) => m.seq)).toEqual([4, 5, 6, 7]);
  });

  it('reports a gap on resume from a cursor older than retention', async () => {
    const s = await startHost([model], { retention: 10 });
    cleanups.push(s.close);
    s.publish(30);
    const { c, rec } = client(model, s, 0);
    await c.connect();
    expect(rec.gaps).toEqual([{ fromSeq: 1, toSeq: 20 }]);
    expect(rec.messages.map((m) => m.seq)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  });

  it('rejects connect with a typed error when nothing listens, and closes once', async () => {
    const { c, rec } = client(model, anyListener(await unusedPort()), null);
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnbenchError);
    expect((err as ConnbenchError).code).toBe('CB_ERR_CONN_REFUSED');
    expect(rec.closes).toBe(1);
  });

  it('rejects connect with the server error code on a bad cursor', async () => {
    const s = await startHost([model]);
    cleanups.push(s.close);
    const { c } = client(model, s, -1);
    const err = await c.connect().catch((e: unknown) => e);
    expect((err as ConnbenchError).code).toBe('CB_ERR_BAD_CURSOR');
  });

  it('close() or an abort during connect rejects with CB_ERR_ABORTED and closes once', async () => {
    // Accepts connections and never answers, so the connect stays in flight.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (sock) => sockets.add(sock));
    cleanups.push(() => {
      for (const sock of sockets) sock.destroy();
      return new Promise((r) => silent.close(r));
    });
    const ports = anyListener((silent.address() as net.AddressInfo).port);

    const byClose = client(model, ports, null);
    const closing = byClose.c.connect().catch((e: unknown) => e);
    await waitFor(() => sockets.size >= 1, 'the connect to reach the server');
    await byClose.c.close();
    expect(((await closing) as ConnbenchError).code).toBe('CB_ERR_ABORTED');
    expect(byClose.rec.closes).toBe(1);

    const ac = new AbortController();
    const bySignal = client(model, ports, null);
    const aborting = bySignal.c.connect(ac.signal).catch((e: unknown) => e);
    await waitFor(() => sockets.size >= 2, 'the second connect to reach the server');
    ac.abort();
    expect(((await aborting) as ConnbenchError).code).toBe('CB_ERR_ABORTED');
    expect(bySignal.rec.closes).toBe(1);
  });

  it('gives up on a dead peer after wait + timeout: CB_ERR_HEARTBEAT_TIMEOUT, then closes once', async () => {
    const fake = await fakeServer('hang');
    const { c, rec } = client(model, fake, null, {
      heartbeat: { intervalMs: 100, timeoutMs: 200 },
      modelOptions: { holdMs: 100, intervalMs: 10 },
    });
    // Before the poll leaves, so the deadline cannot have started earlier than this.
    const connectAtMs = performance.now();
    await c.connect();
    await waitFor(() => rec.closes === 1, 'the dead peer to be detected');
    // Not before the server's hold (long polling's wait) + the timeout: a held poll is not a dead peer.
    expect(performance.now() - connectAtMs).toBeGreaterThanOrEqual((model === longPollModel ? 100 : 0) + 200);
    expect(rec.errors).toEqual(['CB_ERR_HEARTBEAT_TIMEOUT']);
    expect(fake.requests()).toBe(2);
  });

  it('announces its pause between polls as every=MS (short polling) and no every when it asks again at once', async () => {
    const fake = await fakeServer('hang');
    const { c } = client(model, fake, null, { modelOptions: { intervalMs: 70, holdMs: 100 } });
    await c.connect();
    await waitFor(() => fake.requests() === 2, 'the poll after the subscribe');
    const every = fake.urls.map((u) => new URL(u, 'http://x').searchParams.get('every'));
    expect(every).toEqual(model === shortPollModel ? ['70', '70'] : [null, null]);
  });

  it('ends the loop on a non-200 answer: onError, then onClose once', async () => {
    const fake = await fakeServer('fail500');
    const { c, rec } = client(model, fake, null, { modelOptions: { intervalMs: 10 } });
    await c.connect();
    await waitFor(() => rec.closes === 1, 'the loop to end');
    expect(rec.errors).toEqual(['CB_ERR_HTTP_500']);
    expect(fake.requests()).toBe(2);
  });

  it('close() stops polling and calls onClose exactly once', async () => {
    const s = await startHost([model]);
    cleanups.push(s.close);
    const { c, rec } = client(model, s, null);
    await c.connect();
    await c.close();
    await c.close();
    expect(rec.closes).toBe(1);
    expect(rec.errors).toEqual([]);
    const polls = s.host.counters.pollRequests ?? 0;
    s.publish(1);
    // Nothing may arrive after close: give the loop a chance to (wrongly) ask again.
    await waitFor(() => s.host.hub.size === 0, 'no held poll');
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.messages).toEqual([]);
    expect(s.host.counters.pollRequests ?? 0).toBe(polls);
  });
});

describe('long-poll client', () => {
  it('counts an empty answer after the hold as a heartbeat', async () => {
    const s = await startHost([longPollModel]);
    cleanups.push(s.close);
    const { c, rec } = client(longPollModel, s, null, { modelOptions: { holdMs: 50 } });
    await c.connect();
    await waitFor(() => rec.heartbeats >= 2, 'two heartbeats');
    expect(rec.errors).toEqual([]);
  });
});
