import { afterAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { WebSocket } from 'ws';
import { Child } from '../../src/runner/child.js';
import type { FromServer, ToServer } from '../../src/ipc/server.js';
import type { ServerSettings } from '../../src/models/types.js';
import { allModels } from '../../src/models/index.js';
import { FrameType, encodeFrame } from '../../src/models/tcp/framing.js';
import { clientHelloFrame } from '../../src/models/tcp/protocol.js';
import { MAX_SEND_BODY_BYTES } from '../../src/models/sendBody.js';
import { nowUs } from '../../src/metrics/clock.js';
import { testOptions, waitFor } from '../helpers/harness.js';
import { rawTcpFrame, upgrade, wsFrame } from './wire.js';

/**
 * Clients that never read while the reference server broadcasts 1 KiB at 200/s, against the server
 * as a run forks it (src/server/main.ts), with the default slow-reader queue limit: each is cut
 * once its queue passes the limit and counted as slowReaderCuts, including those that keep
 * answering heartbeats; the server's RSS stays bounded; a well-behaved reader is never cut and
 * keeps receiving. Also the pipelining attacks that multiplied what one connection held, and tcp
 * frames left unfinished (cut at a stall timeout of 1 s here).
 */

type ServerChild = Child<ToServer, FromServer>;

const PAYLOAD_BYTES = 1024;
const RATE_PER_SEC = 200;
/** Heartbeats every second, dead after 2 s: the attackers below answer them every 500 ms. */
const SETTINGS: ServerSettings = { heartbeat: { intervalMs: 1000, timeoutMs: 2000 }, stallTimeoutMs: 1000 };

const children: ServerChild[] = [];
const sockets: net.Socket[] = [];
const timers: NodeJS.Timeout[] = [];

afterAll(async () => {
  for (const t of timers) clearInterval(t);
  for (const s of sockets) s.destroy();
  await Promise.all(children.map((c) => c.stop({ type: 'shutdown' })));
});

async function forkServer(label: string, sseEcho: boolean): Promise<{ child: ServerChild; http: number; tcp: number }> {
  const child = new Child<ToServer, FromServer>('server/main.js', label);
  children.push(child);
  const models = allModels().map((m) => ({ id: m.id, options: testOptions(m, m.id === 'sse' ? { echo: sseEcho } : {}) }));
  const listening = await child.request(
    { type: 'start', models, host: '127.0.0.1', ports: { http: 0, tcp: 0 }, retention: 1000, settings: SETTINGS },
    'listening',
    30_000,
    'start listening',
  );
  child.send({ type: 'publish', ratePerSec: RATE_PER_SEC, payloadBytes: PAYLOAD_BYTES, t0Us: nowUs() });
  return { child, http: listening.ports.http!, tcp: listening.ports.tcp! };
}

const sample = (c: ServerChild) => c.request({ type: 'sample', gc: false }, 'sample', 30_000, 'report a sample');

function open(port: number, first: string | Buffer, read = false): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.write(first);
      resolve(s);
    });
    sockets.push(s);
    // A socket reads only once something takes its data; a paused one never does.
    if (read) s.resume();
    else s.pause();
    s.on('error', () => undefined);
    s.once('error', reject);
  });
}

/** Every 500 ms while the socket lives: a heartbeat answer nobody asked it to read for. */
function every500ms(s: net.Socket, bytes: () => Buffer | string): void {
  timers.push(setInterval(() => !s.destroyed && s.write(bytes()), 500));
}

/** The hello's stream id, read once; the stream itself is never read again. */
async function sseStreamId(s: net.Socket): Promise<number> {
  const chunk = await new Promise<Buffer>((resolve) => {
    s.once('data', resolve);
    s.resume();
  });
  s.pause();
  return Number(/"stream":(\d+)/.exec(chunk.toString())?.[1]);
}

describe('hostile: clients that never read while the server broadcasts 1 KiB at 200/s', () => {
  it('each is cut once its queue passes the limit and counted; RSS stays bounded; a reader keeps its stream', async () => {
    const a = await forkServer('server A', false);
    const b = await forkServer('server B (sse echo)', true);
    const baseline = Math.max((await sample(a.child)).sample.rssBytes, (await sample(b.child)).sample.rssBytes);

    // A well-behaved websocket reader on server A, there from before the attack to after it.
    const good = new WebSocket(`ws://127.0.0.1:${a.http}/ws`);
    let goodMessages = 0;
    let goodClosed = false;
    good.on('message', () => goodMessages++);
    good.on('close', () => (goodClosed = true));
    await new Promise((resolve) => good.once('open', resolve));

    const getEvents = 'GET /events HTTP/1.1\r\nHost: x\r\n\r\n';
    // SSE (server A): never reads; SSE without echo cannot tell it from a live client otherwise.
    for (let i = 0; i < 3; i++) await open(a.http, getEvents);
    // websocket: never reads, but answers heartbeats with a pong every 500 ms.
    for (let i = 0; i < 3; i++) every500ms(await open(a.http, upgrade('/ws')), () => wsFrame(0xa, Buffer.alloc(0)));
    // tcp: never reads, but sends a PONG (and a PING) every 500 ms.
    for (let i = 0; i < 3; i++)
      every500ms(await open(a.tcp, clientHelloFrame(null, `u${i}`)), () =>
        Buffer.concat([encodeFrame(FrameType.PONG), encodeFrame(FrameType.PING)]),
      );
    // tcp: a PING flood whose PONGs are never read.
    const flood = await open(a.tcp, clientHelloFrame(null, 'flood'));
    const pings = Buffer.concat(Array.from({ length: 10_000 }, () => encodeFrame(FrameType.PING)));
    timers.push(setInterval(() => !flood.destroyed && flood.writableLength < 1e6 && flood.write(pings), 20));
    // Pipelined polls, never read: 300 held polls, and 300 polls each answered with the whole log.
    await open(a.http, 'GET /poll?cursor=0&wait=60000 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(300));
    await open(a.http, 'GET /poll?cursor=0 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(300));
    // Pipelined event streams on one connection that does read.
    await open(a.http, getEvents.repeat(50), true);
    // tcp frames announced at the largest a client may send, left one byte short.
    for (let i = 0; i < 5; i++) {
      const length = MAX_SEND_BODY_BYTES + 1;
      await open(
        a.tcp,
        Buffer.concat([clientHelloFrame(null, `p${i}`), rawTcpFrame(length, FrameType.SEND, Buffer.alloc(length - 2, 0x20))]),
      );
    }
    // SSE with echo (server B): never reads the stream, but echoes "alive" every 500 ms on a second connection.
    for (let i = 0; i < 3; i++) {
      const stream = await open(b.http, getEvents);
      const id = await sseStreamId(stream);
      const echo = await open(b.http, '', true);
      every500ms(echo, () => `POST /events/alive?stream=${id} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    }

    let peakRssBytes = 0;
    const expected = { a: 3 + 3 + 3 + 1 + 2, b: 3 };
    const counters = { a: {} as Record<string, number>, b: {} as Record<string, number> };
    const look = async () => {
      const [ra, rb] = await Promise.all([sample(a.child), sample(b.child)]);
      counters.a = ra.counters;
      counters.b = rb.counters;
      for (const r of [ra, rb]) peakRssBytes = Math.max(peakRssBytes, r.sample.rssBytes, r.peakRssBytes);
    };
    const done = () =>
      (counters.a.slowReaderCuts ?? 0) >= expected.a &&
      (counters.b.slowReaderCuts ?? 0) >= expected.b &&
      (counters.a.stalledFrames ?? 0) >= 5;
    // Bounded: a look every 250 ms for at most 45 s.
    for (let i = 0; i < 180 && !done(); i++) {
      await look();
      await new Promise((r) => setTimeout(r, 250));
    }
    await look();
    const [fa, fb] = [counters.a, counters.b];

    const goodBefore = goodMessages;
    await waitFor(() => goodMessages > goodBefore + 50, 'the well-behaved reader to keep receiving', 5000);
    expect(goodClosed).toBe(false);
    good.terminate();
    console.log(
      `slow readers: server A cut ${fa.slowReaderCuts ?? 0} slow readers and ended ${fa.stalledFrames ?? 0} stalled frames, server B cut ${fb.slowReaderCuts ?? 0}; largest server RSS ${(peakRssBytes / 2 ** 20).toFixed(1)} MiB (baseline ${(baseline / 2 ** 20).toFixed(1)} MiB)`,
    );
    expect(fa.slowReaderCuts).toBe(expected.a);
    expect(fb.slowReaderCuts).toBe(expected.b);
    expect(fa.stalledFrames).toBe(5);
    expect(fa.pipelinedRequests ?? 0).toBeGreaterThan(0);
    expect(peakRssBytes).toBeLessThan(baseline + 128 * 2 ** 20);
  }, 90_000);
});
