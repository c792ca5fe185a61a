import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { websocketModel } from '../../src/models/websocket/index.js';
import { tcpModel } from '../../src/models/tcp/index.js';
import type { ClientHandler, Model } from '../../src/models/types.js';
import type { Incoming } from '../../src/models/message.js';
import type { Gap } from '../../src/models/log.js';
import type { ClientSession } from '../../src/client/session.js';
import { ConnbenchError } from '../../src/util/errors.js';
import { nowUs } from '../../src/metrics/clock.js';
import { FrameType, encodeFrame } from '../../src/models/tcp/framing.js';
import { clientHelloFrame } from '../../src/models/tcp/protocol.js';
import {
  anyListener,
  clientOptions,
  closeSharedAgent,
  collectingSink,
  newSession,
  startHost,
  waitFor,
  type Target,
} from '../helpers/harness.js';

type Started = Awaited<ReturnType<typeof startHost>>;
type Ports = { httpPort: number; tcpPort: number } & Target;

/** What differs between the models (and websocket clients) when a test talks to the server without the model client. */
interface PushCase {
  /** The describe block's name. */
  name: string;
  model: Model;
  /** Collects the server side of every connection of this model as it is accepted. */
  captureServerSockets(srv: Started): Duplex[];
  /** A peer that subscribes and then never answers a heartbeat; resolves once subscribed. */
  silentPeer(ports: Ports): Promise<{ closed: Promise<void> }>;
  /** The code connect() rejects with for a bad cursor. */
  badCursorCode: string;
  /** A peer asking with a bad cursor; resolves with what the server answered. */
  badCursorPeer(ports: Ports): Promise<string>;
  /** A peer that subscribes, then sends a frame that is not part of the protocol; resolves when cut off. */
  garbagePeer(ports: Ports): Promise<void>;
}

const closedPromise = (emitter: { once(e: 'close', f: () => void): unknown }) => new Promise<void>((r) => emitter.once('close', () => r()));

/** The websocket model with its client fixed to one kind, so the same tests run against both. */
function websocketWith(client: 'reference' | 'lean'): Model {
  return {
    ...websocketModel,
    createClient: (o, h) => websocketModel.createClient({ ...o, modelOptions: { ...(o.modelOptions as object), client } }, h),
  };
}

const websocketCase: PushCase = {
  name: 'websocket model (ws client)',
  model: websocketWith('reference'),
  badCursorCode: 'CB_ERR_BAD_CURSOR',
  captureServerSockets(srv) {
    const sockets: Duplex[] = [];
    srv.host.httpServer.on('upgrade', (_req, socket: Duplex) => sockets.push(socket));
    return sockets;
  },
  async silentPeer(ports) {
    // autoPong off: the peer hears the pings and never answers them.
    const ws = new WebSocket(`ws://127.0.0.1:${ports.httpPort}/ws?user=u99`, { autoPong: false });
    const closed = closedPromise(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
    });
    return { closed };
  },
  badCursorPeer(ports) {
    const ws = new WebSocket(`ws://127.0.0.1:${ports.httpPort}/ws?cursor=abc`);
    return new Promise((resolve) => {
      ws.on('unexpected-response', (req, res) => {
        resolve(`HTTP ${res.statusCode}`);
        req.destroy();
      });
      ws.on('error', () => undefined);
    });
  },
  async garbagePeer(ports) {
    const ws = new WebSocket(`ws://127.0.0.1:${ports.httpPort}/ws?user=u98`);
    const closed = closedPromise(ws);
    ws.once('message', () => ws.send('this is not JSON'));
    await closed;
  },
};

/** The same server and peers; only the model client differs. */
const leanWebsocketCase: PushCase = { ...websocketCase, name: 'websocket model (lean client)', model: websocketWith('lean') };

const tcpCase: PushCase = {
  name: 'tcp model',
  model: tcpModel,
  // The contract has no error frame: the server just closes, before its HELLO.
  badCursorCode: 'CB_ERR_CLOSED',
  captureServerSockets(srv) {
    const sockets: Duplex[] = [];
    srv.host.tcpServer.on('connection', (socket) => sockets.push(socket));
    return sockets;
  },
  async silentPeer(ports) {
    const socket = net.connect({ host: '127.0.0.1', port: ports.tcpPort });
    const closed = closedPromise(socket);
    socket.on('error', () => undefined);
    socket.write(clientHelloFrame(null, 'u99'));
    // Reads (so the HELLO arrives) and never writes a PONG.
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    return { closed };
  },
  async badCursorPeer(ports) {
    const socket = net.connect({ host: '127.0.0.1', port: ports.tcpPort });
    socket.on('error', () => undefined);
    let bytes = 0;
    socket.on('data', (c) => (bytes += c.length));
    socket.write(encodeFrame(FrameType.HELLO, '{"cursor":-1,"user":"u1"}'));
    await closedPromise(socket);
    return `closed after ${bytes} bytes`;
  },
  async garbagePeer(ports) {
    const socket = net.connect({ host: '127.0.0.1', port: ports.tcpPort });
    socket.on('error', () => undefined);
    const closed = closedPromise(socket);
    socket.write(clientHelloFrame(null, 'u98'));
    socket.once('data', () => socket.write(Buffer.from([0, 0, 0, 3, 42, 1, 2])));
    await closed;
  },
};

/** A session sink that also keeps every first delivery. */
function recordingSink() {
  const sink = collectingSink();
  const messages: Incoming[] = [];
  return Object.assign(sink, {
    messages,
    latency(us: number, m: Incoming) {
      sink.latencies.push(us);
      messages.push(m);
    },
  });
}

/** A bare ClientHandler that records everything, for driving a model client directly. */
function recorder() {
  const r = { subscribed: [] as number[], messages: [] as Incoming[], gaps: [] as Gap[], errors: [] as string[], heartbeats: 0, closes: 0 };
  const h: ClientHandler = {
    onSubscribed: (c) => void r.subscribed.push(c),
    onMessage: (m) => void r.messages.push(m),
    onGap: (g) => void r.gaps.push(g),
    onError: (e) => void r.errors.push(e.code),
    onHeartbeat: () => void r.heartbeats++,
    onClose: () => void r.closes++,
  };
  return { r, h };
}

describe.each([websocketCase, leanWebsocketCase, tcpCase])('$name', (c) => {
  const model = c.model;
  const hosts: Started[] = [];
  const sessions: ClientSession[] = [];
  const cleanups: (() => Promise<unknown> | void)[] = [];

  async function host(opts?: Parameters<typeof startHost>[1]) {
    const srv = await startHost([model], opts);
    hosts.push(srv);
    return srv;
  }
  function session(srv: Started, id: number, sink = recordingSink()) {
    const s = newSession(model, srv, id, sink);
    sessions.push(s);
    return { s, sink };
  }
  function client(ports: Ports, id: number, extra: Parameters<typeof clientOptions>[3] & { cursor?: number | null } = {}) {
    const { r, h } = recorder();
    const { cursor = null, ...rest } = extra;
    const cl = model.createClient({ ...clientOptions(model, ports, id, rest), cursor }, h);
    cleanups.push(() => cl.close());
    return { cl, r };
  }

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.stop()));
    await Promise.all(cleanups.splice(0).map((f) => f()));
    await Promise.all(hosts.splice(0).map((h) => h.close()));
  });
  afterAll(() => closeSharedAgent());

  it('delivers 200 messages published in batches to each of 5 sessions exactly once, in order', async () => {
    const srv = await host();
    const all = [1, 2, 3, 4, 5].map((id) => session(srv, id).s);
    await Promise.all(all.map((s) => s.start()));
    for (let batch = 1; batch <= 10; batch++) {
      srv.publish(20);
      await waitFor(() => all.every((s) => s.tracker.unique === batch * 20), `batch ${batch} delivered`);
    }
    for (const s of all) {
      expect(s.tracker).toMatchObject({ unique: 200, duplicates: 0, reordered: 0, gapped: 0 });
    }
  });

  it('resumes by cursor across a client drop and a server-side drop, delivering everything exactly once', async () => {
    const srv = await host();
    const serverSockets = c.captureServerSockets(srv);
    const all = [1, 2, 3].map((id) => session(srv, id).s);
    await Promise.all(all.map((s) => s.start()));
    srv.publish(50);
    await waitFor(() => all.every((s) => s.tracker.unique === 50), 'first 50 delivered');

    // The client drops, and messages are published while it reconnects.
    all[0]!.drop();
    srv.publish(30);
    await waitFor(() => all[0]!.reconnects >= 1 && all[0]!.connected, 'client 1 reconnected');
    srv.publish(20);

    // The server cuts every connection; more is published while they all reconnect.
    const reconnectsBefore = all.map((s) => s.reconnects);
    for (const socket of serverSockets) socket.destroy();
    srv.publish(40);
    await waitFor(() => all.every((s, i) => s.reconnects > reconnectsBefore[i]! && s.connected), 'all reconnected');
    srv.publish(10);

    const head = srv.host.log.head;
    const expected = (s: ClientSession, id: number) => srv.host.log.expectedCount(s.tracker.startCursor!, head, `u${id}`);
    await waitFor(() => all.every((s, i) => s.tracker.unique === expected(s, i + 1)), 'everything delivered');
    for (const s of all) {
      expect(s.tracker.unique).toBe(150);
      expect(s.tracker).toMatchObject({ duplicates: 0, reordered: 0, gapped: 0 });
    }
  });

  it('sends an explicit gap to a cursor older than retention, and the tracker counts it', async () => {
    const srv = await host({ retention: 10 });
    srv.publish(50);
    const { cl, r } = client(srv, 1, { cursor: 5 });
    await cl.connect();
    await waitFor(() => r.messages.length === 10, 'retained messages');
    expect(r.subscribed).toEqual([5]);
    expect(r.gaps).toEqual([{ fromSeq: 6, toSeq: 40 }]);
    expect(r.messages.map((m) => m.seq)).toEqual([41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);

    // A session that falls behind retention while disconnected.
    const { s } = session(srv, 2);
    await s.start();
    s.drop();
    srv.publish(30); // seqs 51..80; retention keeps 71..80
    await waitFor(() => s.tracker.unique === 10, 'the retained part of the backlog');
    expect(s.tracker.gapped).toBe(20);
    expect(s.tracker.unique + s.tracker.gapped).toBe(srv.host.log.expectedCount(s.tracker.startCursor!, srv.host.log.head, 'u2'));
  });

  it('delivers a chat send on the connection to its recipient only, from the sender', async () => {
    const srv = await host();
    const [a, b, third] = [1, 2, 3].map((id) => session(srv, id));
    await Promise.all([a!, b!, third!].map(({ s }) => s.start()));
    expect(a!.s.send({ to: 'u2', t: nowUs(), body: 'hello u2' })).toBe(true);
    await waitFor(() => b!.sink.messages.length === 1, 'u2 received the chat');
    expect(b!.sink.messages[0]).toMatchObject({ from: 'u1', to: 'u2' });
    const entry = srv.host.log.readAfter(0, 'u2').entries[0]!;
    expect(entry).toMatchObject({ from: 'u1', to: 'u2' });
    expect(JSON.parse(entry.json).body).toBe('hello u2');

    // A broadcast after the chat reaches everyone; in-order delivery means the chat would have come first.
    srv.publish(1);
    await waitFor(() => [a!, b!, third!].every(({ s }) => s.tracker.cursor === 2), 'the broadcast');
    expect(third!.sink.messages.map((m) => m.seq)).toEqual([2]);
    expect(a!.sink.messages.map((m) => m.seq)).toEqual([2]);
    expect(b!.sink.messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('keeps a client connected with a short heartbeat, and pings it', async () => {
    const srv = await host({ settings: { heartbeat: { intervalMs: 50, timeoutMs: 100 } } });
    const { cl, r } = client(srv, 1, { heartbeat: { intervalMs: 50, timeoutMs: 100 } });
    await cl.connect();
    await waitFor(() => r.heartbeats >= 6, 'six pings');
    expect(r.closes).toBe(0);
    expect(r.errors).toEqual([]);
    expect(srv.host.counters.heartbeatTimeouts).toBeUndefined();
  });

  it('terminates a peer that stops answering pings within interval + timeout', async () => {
    const intervalMs = 50;
    const timeoutMs = 100;
    const toleranceMs = 250;
    const srv = await host({ settings: { heartbeat: { intervalMs, timeoutMs } } });
    const peer = await c.silentPeer(srv);
    const startedMs = performance.now();
    await peer.closed;
    const elapsedMs = performance.now() - startedMs;
    expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs * 0.9);
    expect(elapsedMs).toBeLessThan(intervalMs + timeoutMs + toleranceMs);
    expect(srv.host.counters.heartbeatTimeouts).toBe(1);
  });

  it('closes a client that hears nothing (no data, no ping) for interval + timeout', async () => {
    // The server pings once a minute: far too rarely for this client's 100 ms budget.
    const srv = await host({ settings: { heartbeat: { intervalMs: 60_000, timeoutMs: 60_000 } } });
    const { cl, r } = client(srv, 1, { heartbeat: { intervalMs: 50, timeoutMs: 50 } });
    const startedMs = performance.now();
    await cl.connect();
    await waitFor(() => r.closes === 1, 'the client gave up');
    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(90);
    expect(r.errors).toEqual(['CB_ERR_HEARTBEAT_TIMEOUT']);
  });

  it('rejects a bad cursor: connect() fails with a typed error and onClose runs once', async () => {
    const srv = await host();
    const { cl, r } = client(srv, 1, { cursor: -1 });
    const err = await cl.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnbenchError);
    expect((err as ConnbenchError).code).toBe(c.badCursorCode);
    await waitFor(() => r.closes === 1, 'onClose');
    expect(r.subscribed).toEqual([]);
    expect(await c.badCursorPeer(srv)).toMatch(/HTTP 400|closed after 0 bytes/);
    expect(srv.host.counters.badRequests).toBe(2);
  });

  it('rejects connect() with a typed error when nobody listens, and calls onClose once', async () => {
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise((r) => free.close(r));
    const { cl, r } = client({ httpPort: port, tcpPort: port, ...anyListener(port) }, 1);
    await expect(cl.connect()).rejects.toMatchObject({ code: 'CB_ERR_CONN_REFUSED' });
    await waitFor(() => r.closes === 1, 'onClose');
    expect(r.errors).toEqual([]); // counted once, by whoever catches the rejection
  });

  it('rejects connect() with CB_ERR_ABORTED when the signal is aborted, and calls onClose once', async () => {
    const srv = await host();
    const { cl, r } = client(srv, 1);
    await expect(cl.connect(AbortSignal.abort())).rejects.toMatchObject({ code: 'CB_ERR_ABORTED' });
    const second = client(srv, 2);
    const ac = new AbortController();
    const connecting = second.cl.connect(ac.signal);
    ac.abort();
    await expect(connecting).rejects.toMatchObject({ code: 'CB_ERR_ABORTED' });
    await waitFor(() => r.closes === 1 && second.r.closes === 1, 'onClose');
  });

  it('cuts off a peer that sends a malformed frame, and keeps serving others', async () => {
    const srv = await host();
    await c.garbagePeer(srv);
    expect(srv.host.counters.badFrames).toBe(1);
    const { s } = session(srv, 1);
    await s.start();
    srv.publish(5);
    await waitFor(() => s.tracker.unique === 5, 'delivery after the bad peer');
  });

  it('calls onClose exactly once for close(), and close() of the server ends every connection', async () => {
    const srv = await host();
    const { cl, r } = client(srv, 1);
    await cl.connect();
    await cl.close();
    await cl.close();
    expect(r.closes).toBe(1);

    const others = [2, 3].map((id) => client(srv, id));
    await Promise.all(others.map(({ cl }) => cl.connect()));
    await srv.close();
    await waitFor(() => others.every(({ r }) => r.closes === 1), 'every client closed');
    expect(srv.host.openConnections).toBe(0);
  });
});
