import { afterEach, describe, expect, it } from 'vitest';
import { getModel } from '../../src/models/index.js';
import type { ModelId } from '../../src/models/types.js';
import { ClientSession } from '../../src/client/session.js';
import { ClientDispatchers, TabConnections } from '../../src/client/dispatchers.js';
import { SwappableDispatcher } from '../../src/client/swappableDispatcher.js';
import { nowUs } from '../../src/metrics/clock.js';
import { clientOptions, collectingSink, startHost, waitFor } from '../helpers/harness.js';

/**
 * The worker's per-client connections (src/client/worker.ts composes them this way): counted on
 * the server side, where a benchmark's per-connection figures are measured.
 */

const FAST = { minDelayMs: 10, maxDelayMs: 100, resume: 'cursor' as const };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fleet(id: ModelId, count: number, extra: Parameters<typeof clientOptions>[3] = {}) {
  const model = getModel(id);
  const srv = await startHost([model]);
  const pools = new ClientDispatchers(`http://127.0.0.1:${srv.httpPort}`);
  const dispatchers: SwappableDispatcher[] = [];
  const sessions: ClientSession[] = [];
  for (let i = 1; i <= count; i++) {
    const dispatcher = new SwappableDispatcher(() => pools.forClient(true, undefined));
    dispatchers.push(dispatcher);
    sessions.push(new ClientSession(model, clientOptions(model, srv, i, { dispatcher, ...extra }), collectingSink(), FAST));
  }
  cleanups.push(async () => {
    await Promise.all(sessions.map((s) => s.stop()));
    await pools.destroy();
    await srv.close();
  });
  await Promise.all(sessions.map((s) => s.start()));
  return { srv, pools, dispatchers, sessions };
}

describe('per-client connections', () => {
  it('long-poll: one server connection per client however many polls it makes', async () => {
    const { srv, sessions } = await fleet('long-poll', 20, { modelOptions: { holdMs: 30_000 } });
    // Every answer sends each client's next poll: the pool would open a second socket here if it could.
    for (let round = 1; round <= 5; round++) {
      srv.publish(1);
      await waitFor(() => sessions.every((s) => s.tracker.unique === round), `round ${round} delivered`);
    }
    await waitFor(() => srv.host.hub.size === 20, 'every client to hold its next poll');
    expect(srv.host.openConnections).toBe(20);
  });

  it('short-poll: one server connection per client while polling without a pause', async () => {
    const { srv } = await fleet('short-poll', 10, { modelOptions: { intervalMs: 0 } });
    const polls = srv.host.counters.pollRequests ?? 0;
    await waitFor(() => (srv.host.counters.pollRequests ?? 0) >= polls + 500, 'hundreds of polls');
    expect(srv.host.openConnections).toBe(10);
  });

  it('long-poll: a chat send does not wait behind the poll the server holds', async () => {
    const { srv, sessions } = await fleet('long-poll', 2, { modelOptions: { holdMs: 30_000 } });
    await waitFor(() => srv.host.hub.size === 2, 'both polls held');
    sessions[0]!.send({ to: 'u2', t: nowUs(), body: 'hi' });
    // Well inside the 30 s hold: a send queued behind the held poll could not arrive before it ends.
    await waitFor(() => sessions[1]!.tracker.unique === 1, 'the send to reach the other client', 10_000);
    expect(srv.host.log.head).toBe(1);
    // The sender's second connection, and only that.
    expect(srv.host.openConnections).toBe(3);
  });

  it('a lean SSE client that never sends makes no undici connection at all', async () => {
    const { pools, dispatchers, srv } = await fleet('sse', 5, { modelOptions: { client: 'lean' } });
    srv.publish(1);
    expect(pools.size).toBe(0);
    expect(dispatchers.every((d) => !d.made)).toBe(true);
    expect(srv.host.openConnections).toBe(5);
  });

  it('a long-poll client that never sends makes its poll connection only', async () => {
    const { pools, srv } = await fleet('long-poll', 3);
    expect(pools.size).toBe(3);
    expect(srv.host.openConnections).toBe(3);
  });

  it('connects each client from its own source address (one connector shared by all)', async () => {
    const srv = await startHost([getModel('short-poll')]);
    const pools = new ClientDispatchers(`http://127.0.0.1:${srv.httpPort}`);
    cleanups.push(async () => {
      await pools.destroy();
      await srv.close();
    });
    const origin = `http://127.0.0.1:${srv.httpPort}`;
    for (const address of ['127.0.0.2', undefined, '127.0.0.3']) {
      const res = await pools.forClient(true, address).request({ origin, path: '/poll?user=u1', method: 'GET' });
      await res.body.text();
    }
    expect(srv.host.acceptedBySourceAddress()).toEqual({ '127.0.0.1': 1, '127.0.0.2': 1, '127.0.0.3': 1 });
  });

  it('with one connection per client, a send shares the poll connection', async () => {
    const srv = await startHost([getModel('short-poll')]);
    const pools = new ClientDispatchers(`http://127.0.0.1:${srv.httpPort}`);
    cleanups.push(async () => {
      await pools.destroy();
      await srv.close();
    });
    const tab = pools.forClient(true, undefined, 1) as TabConnections;
    const origin = `http://127.0.0.1:${srv.httpPort}`;
    await (await tab.request({ origin, path: '/poll?user=u1', method: 'GET' })).body.text();
    const sent = await tab.request({
      origin,
      path: '/send',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'u1', to: 'u2', t: 1, body: 'x' }),
    });
    await sent.body.text();
    expect(sent.statusCode).toBe(200);
    expect(tab.made).toBe(1);
    await tab.close();
    const refused = await tab.request({ origin, path: '/poll?user=u1', method: 'GET' }).catch((e: unknown) => e);
    expect((refused as Error).name).toBe('ClientClosedError');
  });
});
