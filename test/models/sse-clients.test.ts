import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sseModel, type SseOptions } from '../../src/models/sse/index.js';
import type { ClientHandler, ModelClient } from '../../src/models/types.js';
import type { ClientSession } from '../../src/client/session.js';
import { nowUs } from '../../src/metrics/clock.js';
import { LEAN_SSE_CLIENT_ABOVE, sseClientFor } from '../../src/models/sse/clientChoice.js';
import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { TabConnections } from '../../src/client/dispatchers.js';
import { anyListener, clientOptions, closeSharedAgent, collectingSink, newSession, startHost, waitFor } from '../helpers/harness.js';
import { withClient } from './sseHelpers.js';

/**
 * The lean SSE client against the reference one on the same server and the same stream: what each
 * reports must be the same, call for call. (test/models/sse.test.ts runs the conformance tests
 * against each of them on its own.)
 */

type Kind = 'reference' | 'lean';
const KINDS: Kind[] = ['reference', 'lean'];

type Host = Awaited<ReturnType<typeof startHost>>;
const hosts: Host[] = [];
const clients: ModelClient[] = [];
const sessions: ClientSession[] = [];
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const c of cleanups.splice(0)) await c();
  await Promise.all(sessions.splice(0).map((s) => s.stop()));
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

afterAll(async () => {
  await closeSharedAgent();
});

/** Every handler call as one line; receive times left out, they differ by nature. */
function recordingHandler(log: string[]): ClientHandler {
  return {
    onSubscribed: (cursor) => log.push(`subscribed ${cursor}`),
    onMessage: (m) => log.push(`message ${m.seq} t=${m.t} from=${m.from ?? '-'} to=${m.to ?? '-'}`),
    onGap: (g) => log.push(`gap ${g.fromSeq}-${g.toSeq}`),
    onError: (e) => log.push(`error ${e.code}`),
    onClose: () => log.push('close'),
  };
}

/** Multi-byte characters in big bodies: the stream splits inside UTF-8 sequences somewhere. */
const WIDE_BODY = 'ü€😀'.repeat(6000);

describe('the lean and the reference SSE client on the same stream', () => {
  it('report the same subscription, gap, messages and end, call for call', async () => {
    const h = await startHost([sseModel], { retention: 40 });
    hosts.push(h);
    h.publish(30);
    for (let i = 0; i < 30; i++) h.host.log.append({ t: nowUs(), from: 'u9', to: i % 2 === 0 ? 'u1' : 'u2', body: WIDE_BODY });
    const logs = new Map<Kind, string[]>(KINDS.map((k) => [k, []]));
    for (const kind of KINDS) {
      // Cursor 0 is older than retention: both get the gap first, then the retained backlog.
      const c = withClient(kind).createClient({ ...clientOptions(sseModel, h, 1), cursor: 0 }, recordingHandler(logs.get(kind)!));
      clients.push(c);
      await c.connect();
    }
    for (let i = 0; i < 40; i++) {
      if (i % 3 === 0) h.host.log.append({ t: nowUs(), from: 'u7', to: 'u1', body: WIDE_BODY });
      else h.publish(1, 2000);
      await new Promise((r) => setImmediate(r));
    }
    const expected = h.host.log.expectedCount(20, h.host.log.head, 'u1');
    const messages = (k: Kind) => logs.get(k)!.filter((l) => l.startsWith('message')).length;
    await waitFor(() => KINDS.every((k) => messages(k) === expected), `${expected} messages at both clients`);
    // The server ends every stream: both see it end the same way.
    await h.close();
    await waitFor(() => KINDS.every((k) => logs.get(k)!.includes('close')), 'both streams to end');

    const reference = logs.get('reference')!;
    expect(reference.slice(0, 2)).toEqual(['subscribed 0', 'gap 1-20']);
    expect(reference.filter((l) => l.includes('from=u9')).length).toBe(15);
    expect(reference.slice(-2)).toEqual(['error CB_ERR_STREAM_ENDED', 'close']);
    expect(logs.get('lean')).toEqual(reference);
  });

  it('end up with the same messages through sessions that drop and resume by cursor', async () => {
    const h = await startHost([sseModel]);
    hosts.push(h);
    const seen = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
    const both = KINDS.map((kind) => {
      const s = newSession(withClient(kind), h, 3, { ...collectingSink(), latency: (_us, m) => seen.get(kind)!.push(m.seq) });
      sessions.push(s);
      return s;
    });
    await Promise.all(both.map((s) => s.start()));
    h.publish(25);
    await waitFor(() => both.every((s) => s.tracker.unique === 25), 'the first 25 messages');
    for (const s of both) s.drop();
    h.publish(25);
    await waitFor(() => both.every((s) => s.reconnects >= 1 && s.connected), 'both to reconnect');
    h.publish(25, 5000);
    await waitFor(() => both.every((s) => s.tracker.unique === 75), 'all 75 messages');
    const [reference, lean] = both;
    expect(lean!.tracker.startCursor).toBe(reference!.tracker.startCursor);
    expect([lean!.tracker.duplicates, lean!.tracker.reordered, lean!.tracker.gapped]).toEqual([0, 0, 0]);
    expect([reference!.tracker.duplicates, reference!.tracker.reordered, reference!.tracker.gapped]).toEqual([0, 0, 0]);
    expect(seen.get('lean')).toEqual(seen.get('reference'));
    expect(seen.get('lean')).toEqual(Array.from({ length: 75 }, (_, i) => i + 1));
  });
});

/**
 * A scripted SSE peer for the heartbeat echo: `GET /events` gets `hello` and is kept for the test
 * to write heartbeats and events into; every POST is recorded (with the port it came from) and
 * answered by `answer`.
 */
async function echoPeer(hello: string) {
  const streams: http.ServerResponse[] = [];
  const posts: { line: string; port: number }[] = [];
  let streamPort = 0;
  const peer = {
    streams,
    posts,
    port: 0,
    streamPort: () => streamPort,
    answer: (res: http.ServerResponse) => void res.writeHead(204).end(),
    /** Writes to every open stream, each write its own chunk as the reference server's are. */
    write: (text: string) => streams.forEach((res) => res.write(text)),
  };
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      streamPort = req.socket.remotePort!;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(hello);
      streams.push(res);
      return;
    }
    let bytes = 0;
    req.on('data', (b: Buffer) => (bytes += b.length));
    req.on('end', () => {
      posts.push({ line: `${req.method} ${req.url} ${bytes}`, port: req.socket.remotePort! });
      if (req.url === '/send') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"seq":1}');
      peer.answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.port = (server.address() as AddressInfo).port;
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return peer;
}

/** A client of `kind` on its own TabConnections (stream and POSTs apart), as the runner gives it. */
function echoClient(kind: Kind, port: number, log: string[]): { client: ModelClient; dispatcher: TabConnections } {
  const dispatcher = new TabConnections(`http://127.0.0.1:${port}`, undefined, new Set());
  cleanups.push(() => dispatcher.destroy());
  const h = { ...recordingHandler(log), onHeartbeat: () => log.push('heartbeat') };
  const client = withClient(kind).createClient({ ...clientOptions(sseModel, anyListener(port), 1), dispatcher, cursor: null }, h);
  clients.push(client);
  return { client, dispatcher };
}

describe('the lean and the reference SSE client echo heartbeats alike', () => {
  it('answer every heartbeat of a stream the hello named with POST /events/alive?stream=K apart from the stream, and count a refused echo without ending it', async () => {
    const logs = new Map<Kind, string[]>();
    const posts = new Map<Kind, string[]>();
    for (const kind of KINDS) {
      // The first heartbeat in one chunk with the hello that names the stream.
      const peer = await echoPeer('retry: 100\nevent: hello\nid: 4\ndata: {"cursor":4,"stream":7}\n\n:\n\n');
      const log: string[] = [];
      const { client } = echoClient(kind, peer.port, log);
      await client.connect();
      await waitFor(() => peer.posts.length === 1, `echo 1 of the ${kind} client`);
      // Heartbeats in one chunk with an event, as a server writes them when they fall in one turn.
      peer.write('id: 5\ndata: {"seq":5,"t":1,"body":"x:\\n\\n"}\n\n:\n\n:\n\n');
      await waitFor(() => peer.posts.length === 3 && log.includes('message 5 t=1 from=- to=-'), `echoes 2 and 3 of the ${kind} client`);
      peer.answer = (res) =>
        void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"CB_ERR_UNKNOWN_STREAM","message":"gone"}');
      peer.write(':\n\n');
      await waitFor(() => log.includes('error CB_ERR_UNKNOWN_STREAM'), `the ${kind} client to report the refused echo`);
      peer.write('id: 6\ndata: {"seq":6,"t":1,"body":"x"}\n\n');
      await waitFor(() => log.includes('message 6 t=1 from=- to=-'), `the ${kind} client to read on`);
      expect(
        peer.posts.every((p) => p.port !== peer.streamPort()),
        `${kind}: echoes on a connection apart from the stream`,
      ).toBe(true);
      logs.set(kind, log);
      posts.set(
        kind,
        peer.posts.map((p) => p.line),
      );
    }
    expect(posts.get('reference')).toEqual(Array(4).fill('POST /events/alive?stream=7 0'));
    expect(logs.get('reference')).toEqual([
      'subscribed 4',
      'heartbeat',
      'message 5 t=1 from=- to=-',
      'heartbeat',
      'heartbeat',
      'heartbeat',
      'error CB_ERR_UNKNOWN_STREAM',
      'message 6 t=1 from=- to=-',
    ]);
    expect(posts.get('lean')).toEqual(posts.get('reference'));
    expect(logs.get('lean')).toEqual(logs.get('reference'));
  });

  it('do not echo when the hello names no stream', async () => {
    for (const kind of KINDS) {
      const peer = await echoPeer('event: hello\nid: 0\ndata: {"cursor":0}\n\n');
      const log: string[] = [];
      const { client } = echoClient(kind, peer.port, log);
      await client.connect();
      peer.write(':\n\n');
      await waitFor(() => log.includes('heartbeat'), `the ${kind} client to see the heartbeat`);
      peer.write(':\n\n');
      await waitFor(() => log.filter((l) => l === 'heartbeat').length === 2, `the ${kind} client to see the second heartbeat`);
      // A chat send leaves on the connection an echo would have used, after it: it arrives alone.
      client.send!({ to: 'u2', t: 1, body: 'x' });
      await waitFor(() => peer.posts.length > 0, `the ${kind} client's send`);
      expect(
        peer.posts.map((p) => p.line.split(' ').slice(0, 2).join(' ')),
        kind,
      ).toEqual(['POST /send']);
    }
  });

  it('reject connect() with CB_ERR_PROTOCOL for a hello whose stream id is not a non-negative integer', async () => {
    for (const stream of ['"7"', '-1', '1.5', 'null']) {
      for (const kind of KINDS) {
        const peer = await echoPeer(`event: hello\nid: 0\ndata: {"cursor":0,"stream":${stream}}\n\n`);
        const log: string[] = [];
        const { client } = echoClient(kind, peer.port, log);
        await expect(client.connect(), `${kind}, stream ${stream}`).rejects.toMatchObject({ code: 'CB_ERR_PROTOCOL' });
        expect(log, `${kind}, stream ${stream}`).toEqual(['close']);
      }
    }
  });
});

describe('choosing the SSE client', () => {
  it('auto picks the lean client above the documented count, and an explicit choice always wins', () => {
    expect(sseClientFor('auto', 1)).toBe('reference');
    expect(sseClientFor('auto', LEAN_SSE_CLIENT_ABOVE)).toBe('reference');
    expect(sseClientFor('auto', LEAN_SSE_CLIENT_ABOVE + 1)).toBe('lean');
    expect(sseClientFor('reference', 50_000)).toBe('reference');
    expect(sseClientFor('lean', 1)).toBe('lean');
  });

  it('reads sse.client from a scenario (default auto) and refuses an unknown client', () => {
    const sseOf = (raw: unknown) => expandMatrix(validateScenario(raw))[0]!.sse as SseOptions;
    expect(sseOf({}).client).toBe('auto');
    expect(sseOf({ sse: { client: 'lean' } }).client).toBe('lean');
    expect(() => validateScenario({ sse: { client: 'fast' } })).toThrow(/sse\.client: expected one of "auto", "reference", "lean"/);
  });
});
