import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { longPollModel } from '../../src/models/long-poll/index.js';
import { shortPollModel } from '../../src/models/short-poll/index.js';
import type { Model } from '../../src/models/types.js';
import { ClientSession } from '../../src/client/session.js';
import { ClientDispatchers } from '../../src/client/dispatchers.js';
import { clientOptions, closeSharedAgent, collectingSink, startHost, waitFor } from '../helpers/harness.js';

/** The server's dead-peer timeout in these tests; small so each test lasts about a second. */
const TIMEOUT_MS = 300;
/**
 * The timeout of the "never cut a healthy client" tests: client and server share this process, so
 * one event-loop stall as long as the timeout (GC, a loaded CI machine) would cut a live client.
 */
const HEALTHY_TIMEOUT_MS = 1000;
/** Generous: a loaded machine may run the sweep late, and this test is not about speed. */
const SLACK_MS = 3000;

type Started = Awaited<ReturnType<typeof startHost>>;
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(closeSharedAgent);

async function start(model: Model = longPollModel, timeoutMs = TIMEOUT_MS): Promise<Started> {
  const s = await startHost([model], { settings: { heartbeat: { intervalMs: 150, timeoutMs } } });
  cleanups.push(s.close);
  return s;
}

/**
 * A raw keep-alive HTTP/1.1 connection, so a test controls exactly when (and whether) the next
 * request goes out, as a half-open peer would: it just stops sending.
 */
async function rawConnection(s: Started) {
  const serverSide: net.Socket[] = [];
  const onConnection = (sock: net.Socket) => void serverSide.push(sock);
  s.host.httpServer.on('connection', onConnection);
  cleanups.push(() => void s.host.httpServer.off('connection', onConnection));
  const socket = net.connect(s.httpPort, '127.0.0.1');
  cleanups.push(() => void socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined);
  let buffered = '';
  const answers: { status: number; body: string; atMs: number }[] = [];
  let closedAtMs: number | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    for (;;) {
      const headEnd = buffered.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, headEnd))?.[1] ?? 0);
      if (buffered.length < headEnd + 4 + length) return;
      answers.push({
        status: Number(buffered.slice(9, 12)),
        body: buffered.slice(headEnd + 4, headEnd + 4 + length),
        atMs: performance.now(),
      });
      buffered = buffered.slice(headEnd + 4 + length);
    }
  });
  socket.on('close', () => (closedAtMs = performance.now()));
  await waitFor(() => serverSide.length === 1, 'the server to accept the connection');
  return {
    answers,
    server: serverSide[0]!,
    closedAtMs: () => closedAtMs,
    /** Sends one poll and waits for its answer; returns when it was sent. */
    async poll(query: string): Promise<number> {
      const before = answers.length;
      const sentAtMs = performance.now();
      socket.write(`GET /poll?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      await waitFor(() => answers.length > before || closedAtMs !== undefined, 'the poll answer', SLACK_MS);
      expect(answers[before]?.status).toBe(200);
      return sentAtMs;
    },
  };
}

describe('poll server dead-peer deadline', () => {
  it('destroys a keep-alive connection that brings no poll within the timeout of its last answer', async () => {
    const s = await start();
    const c = await rawConnection(s);
    await c.poll('cursor=0&user=u1');
    const listeners = c.server.listenerCount('close');
    await c.poll('cursor=0&user=u1');
    // The answer time of the last poll is after this: the server cannot answer before it is asked.
    const lastSentAtMs = await c.poll('cursor=0&user=u1');
    expect(c.server.listenerCount('close')).toBe(listeners); // one close listener per socket, not per request
    expect(s.host.counters.heartbeatTimeouts).toBeUndefined();
    await waitFor(() => c.closedAtMs() !== undefined, 'the silent connection to be closed', TIMEOUT_MS + SLACK_MS);
    expect(c.closedAtMs()! - lastSentAtMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(c.closedAtMs()! - c.answers[2]!.atMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(s.host.counters.heartbeatTimeouts).toBe(1);
    expect(s.host.deadPeersSince(0)).toHaveLength(1);
  });

  it('gives a client that announces every=MS that pause on top of the timeout, from the subscribe on', async () => {
    const everyMs = 500;
    const s = await start(shortPollModel);
    const c = await rawConnection(s);
    const sentAtMs = await c.poll(`user=u1&every=${everyMs}`);
    expect(JSON.parse(c.answers[0]!.body)).toEqual({ cursor: 0, messages: [] });
    await waitFor(() => c.closedAtMs() !== undefined, 'the silent connection to be closed', everyMs + TIMEOUT_MS + SLACK_MS);
    expect(c.closedAtMs()! - sentAtMs).toBeGreaterThanOrEqual(everyMs + TIMEOUT_MS);
    expect(s.host.counters.heartbeatTimeouts).toBe(1);
    expect(s.host.deadPeersSince(0)).toHaveLength(1);
  });

  it('does not cut a held poll longer than the timeout; the deadline starts at its answer', async () => {
    const holdMs = 2 * TIMEOUT_MS + 100;
    const s = await start();
    const c = await rawConnection(s);
    const sentAtMs = await c.poll(`cursor=0&wait=${holdMs}&user=u1`);
    expect(s.host.counters.heldPolls).toBe(1);
    expect(JSON.parse(c.answers[0]!.body)).toEqual({ cursor: 0, messages: [] });
    expect(c.closedAtMs()).toBeUndefined();
    expect(s.host.counters.heartbeatTimeouts).toBeUndefined();
    // Silent after the answer: now it is a dead peer.
    await waitFor(() => c.closedAtMs() !== undefined, 'the silent connection to be closed', TIMEOUT_MS + SLACK_MS);
    // A few ms of leeway: a hold timer may fire up to a millisecond before its nominal time.
    expect(c.closedAtMs()! - sentAtMs).toBeGreaterThanOrEqual(holdMs + TIMEOUT_MS - 5);
    expect(s.host.counters.heartbeatTimeouts).toBe(1);
  });
});

describe.each([
  // Short polling pauses longer than the timeout: only the announced every=MS keeps it alive.
  { model: shortPollModel, extra: { modelOptions: { intervalMs: 1500 } }, polls: 3 },
  // Long polling is held longer than the timeout, then asks again at once.
  { model: longPollModel, extra: { modelOptions: { holdMs: 1300 } }, polls: 3 },
])('$model.id: a healthy client is never cut by the deadline', ({ model, extra, polls }) => {
  it(`keeps polling for several timeouts with no dead peer and no error`, async () => {
    const s = await start(model, HEALTHY_TIMEOUT_MS);
    const dispatchers = new ClientDispatchers(`http://127.0.0.1:${s.httpPort}`);
    cleanups.push(() => dispatchers.destroy());
    const sink = collectingSink();
    // Its own connection, as a run gives each client (a shared pool could move polls between sockets).
    const options = clientOptions(model, s, 1, {
      heartbeat: { intervalMs: 150, timeoutMs: HEALTHY_TIMEOUT_MS },
      dispatcher: dispatchers.forClient(true, undefined),
      ...extra,
    });
    const session = new ClientSession(model, options, sink, { minDelayMs: 10, maxDelayMs: 100, resume: 'cursor' });
    cleanups.push(() => session.stop());
    const startedAtMs = performance.now();
    await session.start();
    await waitFor(() => (s.host.counters.pollRequests ?? 0) >= 2, 'a first poll after the subscription');
    s.publish(3); // some answers carry messages
    // Several timeouts, in which the client must keep polling (not just stay connected).
    const runMs = 3 * HEALTHY_TIMEOUT_MS;
    await waitFor(
      () => performance.now() - startedAtMs >= runMs && (s.host.counters.pollRequests ?? 0) >= polls,
      `${runMs} ms and ${polls} polls`,
      10_000,
    );
    await waitFor(() => session.tracker.unique === 3, 'the published messages');
    expect(s.host.counters.heartbeatTimeouts).toBeUndefined();
    expect(sink.errors).toEqual([]);
    expect(session.reconnects).toBe(0);
    expect(s.host.openConnections).toBe(1);
  });
});
