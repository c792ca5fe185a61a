import { afterAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { getModel } from '../../src/models/index.js';
import { ClientSession } from '../../src/client/session.js';
import { SwappableDispatcher } from '../../src/client/swappableDispatcher.js';
import { clientOptions, closeSharedAgent, collectingSink, startHost, waitFor } from '../helpers/harness.js';
import { nowUs } from '../../src/metrics/clock.js';

const FAST = { minDelayMs: 10, maxDelayMs: 100, resume: 'cursor' as const };

afterAll(() => closeSharedAgent());

describe('client session: outbox', () => {
  for (const id of ['websocket', 'long-poll'] as const) {
    it(`${id}: a send made while disconnected waits and is delivered exactly once after the reconnect`, async () => {
      const model = getModel(id);
      const srv = await startHost([model]);
      const a = new ClientSession(model, clientOptions(model, srv, 1), collectingSink(), FAST);
      const b = new ClientSession(model, clientOptions(model, srv, 2), collectingSink(), FAST);
      try {
        await Promise.all([a.start(), b.start()]);
        a.drop();
        expect(a.connected).toBe(false);
        expect(a.send({ to: 'u2', t: nowUs(), body: 'hi' })).toBe(true);
        await waitFor(() => b.tracker.unique === 1 && a.connected, 'the queued send to arrive');
        expect(srv.host.log.head).toBe(1);
        expect(b.tracker.duplicates).toBe(0);
        expect(a.reconnects).toBe(1);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
        await srv.close();
      }
    });
  }
});

describe('SwappableDispatcher', () => {
  it('makes no dispatcher until the first request, and none again after a swap until the next', async () => {
    const srv = await startHost([getModel('short-poll')]);
    let made = 0;
    const dispatcher = new SwappableDispatcher(() => {
      made++;
      return new Pool(`http://127.0.0.1:${srv.httpPort}`, { connections: 1 });
    });
    try {
      expect(dispatcher.made).toBe(false);
      await dispatcher.swap();
      await dispatcher.close();
      expect(made).toBe(0);
      const res = await dispatcher.request({ origin: `http://127.0.0.1:${srv.httpPort}`, path: '/poll?user=u1', method: 'GET' });
      await res.body.text();
      expect(made).toBe(1);
      await dispatcher.swap();
      expect(dispatcher.made).toBe(false);
      expect(made).toBe(1);
    } finally {
      await dispatcher.destroy();
      await srv.close();
    }
  });

  it('a swap makes the HTTP client connect afresh, and it resumes from its cursor without loss', async () => {
    const model = getModel('short-poll');
    const srv = await startHost([model]);
    let accepted = 0;
    srv.host.httpServer.on('connection', () => accepted++);
    const origin = `http://127.0.0.1:${srv.httpPort}`;
    const pools: Pool[] = [];
    const dispatcher = new SwappableDispatcher(() => {
      const p = new Pool(origin, { connections: 2 });
      pools.push(p);
      return p;
    });
    const s = new ClientSession(model, clientOptions(model, srv, 1, { dispatcher }), collectingSink(), FAST);
    try {
      await s.start();
      srv.publish(3);
      await waitFor(() => s.tracker.unique === 3, 'the first messages');
      const before = accepted;
      s.drop();
      await dispatcher.swap();
      expect(pools[0]!.closed).toBe(true);
      srv.publish(2);
      await waitFor(() => s.connected && s.tracker.unique === 5, 'the reconnect and the messages published meanwhile');
      // The next pool is made by the reconnect's first request, not by the swap.
      expect(pools).toHaveLength(2);
      expect(accepted).toBeGreaterThan(before);
      expect(s.tracker.duplicates).toBe(0);
    } finally {
      await s.stop();
      await dispatcher.destroy();
      await srv.close();
    }
  });
});
