import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { longPollModel } from '../../src/models/long-poll/index.js';
import { PollServer } from '../../src/models/long-poll/server.js';
import { shortPollModel } from '../../src/models/short-poll/index.js';
import { nowUs } from '../../src/metrics/clock.js';
import { closeSharedAgent, sharedAgent, startHost, waitFor } from '../helpers/harness.js';

type Started = Awaited<ReturnType<typeof startHost>>;
const started: Started[] = [];

async function start(opts: Parameters<typeof startHost>[1] = {}): Promise<Started> {
  // Both models on one host: the second /poll registration is ignored, as in a real run.
  const s = await startHost([longPollModel, shortPollModel], opts);
  started.push(s);
  return s;
}

async function get(s: Started, path: string, signal?: AbortSignal) {
  const res = await request(`http://127.0.0.1:${s.httpPort}${path}`, {
    dispatcher: sharedAgent(),
    signal,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: JSON.parse(text) as Record<string, unknown> };
}

function timed<T>(p: Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const t0 = performance.now();
  return p.then((value) => ({ value, elapsedMs: performance.now() - t0 }));
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});
afterAll(closeSharedAgent);

describe('GET /poll', () => {
  it.each([
    'cursor=-1',
    'cursor=abc',
    'cursor=',
    'cursor=1.5',
    'cursor=0&wait=abc',
    'cursor=0&wait=-5',
    'cursor=0&every=-1',
    'every=1.5',
    'cursor=0&every=',
  ])('answers 400 CB_ERR_BAD_CURSOR to %s', async (query) => {
    const s = await start();
    const r = await get(s, `/poll?${query}`);
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('CB_ERR_BAD_CURSOR');
    expect(typeof r.json.message).toBe('string');
    expect(s.host.counters.badRequests).toBe(1);
  });

  it('answers a subscribe (no cursor) at once with the head', async () => {
    const s = await start();
    s.publish(5);
    const r = await get(s, '/poll?user=u1&wait=10000');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.text));
    expect(r.json).toEqual({ cursor: 5, messages: [] });
  });

  it('answers a short poll at once with the messages after the cursor, as the log encoded them', async () => {
    const s = await start();
    s.publish(3);
    const r = await get(s, '/poll?cursor=1&user=u1');
    expect(r.json.cursor).toBe(3);
    expect(r.text).toBe(
      `{"cursor":3,"messages":[${s.host.log
        .readAfter(1)
        .entries.map((e) => e.json)
        .join(',')}]}`,
    );
    expect((await get(s, '/poll?cursor=3&user=u1')).json).toEqual({ cursor: 3, messages: [] });
  });

  it('signals a gap when the cursor is older than retention', async () => {
    const s = await start({ retention: 10 });
    s.publish(25);
    const r = await get(s, '/poll?cursor=2&wait=5000&user=u1');
    expect(r.json.gap).toEqual({ fromSeq: 3, toSeq: 15 });
    expect((r.json.messages as unknown[]).length).toBe(10);
  });

  it('holds a long poll and answers empty with the head after wait', async () => {
    const s = await start();
    s.publish(2);
    const pending = timed(get(s, '/poll?cursor=2&wait=150&user=u1'));
    await waitFor(() => s.host.hub.size === 1, 'the poll to be held');
    // Addressed to someone else: moves the head but must not wake u1's poll.
    s.host.log.append({ t: nowUs(), from: 'u3', to: 'u2', body: 'x' });
    const { value, elapsedMs } = await pending;
    expect(value.json).toEqual({ cursor: 3, messages: [] });
    expect(elapsedMs).toBeGreaterThanOrEqual(140);
    expect(s.host.counters.heldPolls).toBe(1);
    expect(s.host.hub.size).toBe(0);
  });

  it('caps the hold at the server maxHoldMs', async () => {
    const s = await startHost([new PollServer({ maxHoldMs: 100 })]);
    started.push(s);
    const { value, elapsedMs } = await timed(get(s, '/poll?cursor=0&wait=60000&user=u1'));
    expect(value.json).toEqual({ cursor: 0, messages: [] });
    expect(elapsedMs).toBeLessThan(5000);
  });

  it('answers a held long poll as soon as a message for it is appended, with the whole burst', async () => {
    const s = await start();
    const pending = timed(get(s, '/poll?cursor=0&wait=20000&user=u1'));
    await waitFor(() => s.host.hub.size === 1, 'the poll to be held');
    s.publish(3);
    const { value, elapsedMs } = await pending;
    expect((value.json.messages as { seq: number }[]).map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(value.json.cursor).toBe(3);
    expect(elapsedMs).toBeLessThan(5000);
  });

  it('wakes a held chat poll only for messages to its user', async () => {
    const s = await start();
    const pending = get(s, '/poll?cursor=0&wait=20000&user=u1');
    await waitFor(() => s.host.hub.size === 1, 'the poll to be held');
    s.host.log.append({ t: nowUs(), from: 'u3', to: 'u2', body: 'not yours' });
    s.host.log.append({ t: nowUs(), from: 'u3', to: 'u1', body: 'yours' });
    const r = await pending;
    expect((r.json.messages as { seq: number; to: string }[]).map((m) => [m.seq, m.to])).toEqual([[2, 'u1']]);
  });

  it('lets go of a held poll whose client went away', async () => {
    const s = await start();
    const ac = new AbortController();
    const pending = get(s, '/poll?cursor=0&wait=20000&user=u1', ac.signal).catch((e: unknown) => e);
    await waitFor(() => s.host.hub.size === 1, 'the poll to be held');
    ac.abort();
    await pending;
    await waitFor(() => s.host.hub.size === 0, 'the subscriber to be removed');
  });

  it('answers held polls when the server closes', async () => {
    const s = await startHost([longPollModel]);
    started.push(s); // closed here; closing again in afterEach is harmless
    const pending = get(s, '/poll?cursor=0&wait=20000&user=u1');
    await waitFor(() => s.host.hub.size === 1, 'the poll to be held');
    await s.close();
    expect((await pending).json).toEqual({ cursor: 0, messages: [] });
    expect(s.host.hub.size).toBe(0);
  });
});
