import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { longPollModel } from '../../src/models/long-poll/index.js';
import { shortPollModel } from '../../src/models/short-poll/index.js';
import type { Incoming } from '../../src/models/message.js';
import type { ClientSession } from '../../src/client/session.js';
import { nowUs } from '../../src/metrics/clock.js';
import { closeSharedAgent, collectingSink, newSession, startHost, waitFor } from '../helpers/harness.js';

type Started = Awaited<ReturnType<typeof startHost>>;

describe.each([shortPollModel, longPollModel])('$id sessions', (model) => {
  let server: Started | undefined;
  let sessions: ClientSession[] = [];

  async function start(opts: Parameters<typeof startHost>[1] = {}): Promise<Started> {
    server = await startHost([model], opts);
    return server;
  }

  /** A session and its sink, started and subscribed. */
  async function session(s: Started, clientId: number) {
    const sink = { ...collectingSink(), received: [] as Incoming[] };
    sink.latency = (us: number, m?: Incoming) => {
      sink.latencies.push(us);
      if (m) sink.received.push(m);
    };
    const sess = newSession(model, s, clientId, sink);
    sessions.push(sess);
    await sess.start();
    return { sess, sink, user: `u${clientId}` };
  }

  function expectedFor(s: Started, sess: ClientSession, user: string): number {
    return s.host.log.expectedCount(sess.tracker.startCursor!, s.host.log.head, user);
  }

  afterEach(async () => {
    await Promise.all(sessions.map((x) => x.stop()));
    sessions = [];
    await server?.close();
    server = undefined;
  });
  afterAll(closeSharedAgent);

  it('delivers 200 messages to 5 clients exactly once, in order, with latencies', async () => {
    const s = await start();
    const clients = await Promise.all([1, 2, 3, 4, 5].map((id) => session(s, id)));
    for (let batch = 1; batch <= 4; batch++) {
      s.publish(50);
      await waitFor(() => clients.every((c) => c.sess.tracker.unique === batch * 50), `batch ${batch} delivered`);
    }
    for (const { sess, sink } of clients) {
      expect(sess.tracker.startCursor).toBe(0);
      expect(sess.tracker.unique).toBe(200);
      expect(sess.tracker.duplicates).toBe(0);
      expect(sess.tracker.reordered).toBe(0);
      expect(sink.latencies).toHaveLength(200);
      expect(sink.latencies.every((us) => us >= 0)).toBe(true);
      expect(sink.errors).toEqual([]);
    }
  });

  it('delivers everything exactly once across a forced disconnect', async () => {
    const s = await start();
    s.publish(7); // a non-zero starting cursor
    const clients = await Promise.all([1, 2, 3].map((id) => session(s, id)));
    s.publish(50);
    await waitFor(() => clients.every((c) => c.sess.tracker.unique === 50), 'first batch delivered');
    const dropped = clients[0]!.sess;
    dropped.drop();
    s.publish(50); // while it reconnects
    await waitFor(() => dropped.reconnects >= 1 && dropped.connected, 'the dropped session to reconnect');
    s.publish(50);
    await waitFor(() => clients.every((c) => c.sess.tracker.unique === expectedFor(s, c.sess, c.user)), 'all delivered');
    expect(dropped.reconnects).toBeGreaterThanOrEqual(1);
    for (const { sess } of clients) {
      expect(sess.tracker.startCursor).toBe(7);
      expect(sess.tracker.unique).toBe(150);
      expect(sess.tracker.duplicates).toBe(0);
      expect(sess.tracker.reordered).toBe(0);
    }
  });

  it('counts a retention gap as gapped, not silently skipped', async () => {
    const s = await start({ retention: 10 });
    s.publish(5);
    const { sess } = await session(s, 1);
    expect(sess.tracker.cursor).toBe(5);
    // Fall behind by more than retention while disconnected: seqs 6..25 are gone by the reconnect.
    sess.drop();
    s.publish(30);
    await waitFor(() => sess.tracker.unique === 10, 'the retained messages delivered');
    expect(sess.tracker.gapped).toBe(20);
    expect(sess.tracker.unique + sess.tracker.gapped).toBe(expectedFor(s, sess, 'u1'));
    expect(sess.tracker.duplicates).toBe(0);
  });

  it('delivers chat messages to their recipient only, including sends through the model', async () => {
    const s = await start();
    const u1 = await session(s, 1);
    const u2 = await session(s, 2);
    for (let i = 0; i < 10; i++) {
      s.host.log.append({ t: nowUs(), from: 'u9', to: 'u1', body: 'for u1' });
      s.host.log.append({ t: nowUs(), from: 'u9', to: 'u2', body: 'for u2' });
    }
    s.publish(5); // broadcast reaches both
    expect(u1.sess.send({ to: 'u2', t: nowUs(), body: 'hello from u1' })).toBe(true);
    await waitFor(() => u1.sess.tracker.unique === 15 && u2.sess.tracker.unique === 16, 'chat delivered');
    expect(u1.sess.tracker.unique).toBe(expectedFor(s, u1.sess, 'u1'));
    expect(u2.sess.tracker.unique).toBe(expectedFor(s, u2.sess, 'u2'));
    expect(u1.sink.received.every((m) => m.to === undefined || m.to === 'u1')).toBe(true);
    expect(u2.sink.received.every((m) => m.to === undefined || m.to === 'u2')).toBe(true);
    expect(u2.sink.received.filter((m) => m.from === 'u1')).toHaveLength(1);
    expect([...u1.sink.errors, ...u2.sink.errors]).toEqual([]);
  });
});
