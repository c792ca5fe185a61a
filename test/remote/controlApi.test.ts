import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { request } from 'undici';
import { Controller } from '../../src/runner/remote/controller.js';
import { listenControl, type ControlServer } from '../../src/runner/remote/controlServer.js';
import { ShardResultStore } from '../../src/runner/remote/resultStore.js';
import { probeClock } from '../../src/client/clockProbe.js';

/**
 * The control API's HTTP side on port 0, in this process, with no model run started: the token
 * check comes before anything else, malformed requests of every kind get a 4xx with a stable code
 * (never a 500, never a crash), and the clock endpoint gives an offset of 0 within its bound
 * (client and server share this process's clock).
 */
const TOKEN = 'test-token-0123456789abcdef';
let server: ControlServer;
let base: string;

beforeAll(async () => {
  const controller = new Controller({
    host: '127.0.0.1',
    firstModelPort: 0,
    barrierTimeoutMs: 5_000,
    endGraceMs: 5_000,
    limits: () => ({ openFilesLimit: 20_000 }),
  });
  server = await listenControl({ host: '127.0.0.1', port: 0, token: TOKEN, controller, results: new ShardResultStore() });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.close());

async function call(method: string, path: string, o: { token?: string | null; auth?: string; body?: string } = {}) {
  const auth = o.auth ?? (o.token === null ? undefined : `Bearer ${o.token ?? TOKEN}`);
  const res = await request(`${base}${path}`, {
    method: method as 'GET',
    headers: auth === undefined ? {} : { authorization: auth },
    ...(o.body !== undefined ? { body: o.body } : {}),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

const control = (body: unknown) => call('POST', '/control', { body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('the control API (serve --control)', () => {
  it('answers a missing or wrong token with 401 and nothing else, whatever the request', async () => {
    const begin = JSON.stringify({ type: 'begin', key: { fingerprint: 'a'.repeat(16), point: 0, model: 'tcp', repeat: 1 } });
    const requests: [string, string, string?][] = [
      ['GET', '/control/clock'],
      ['POST', '/control', begin],
      ['POST', '/control', '{not json'],
      ['GET', '/control/results'],
      ['POST', '/control/results', '{}'],
      ['GET', '/no/such/path'],
      ['DELETE', '/control'],
    ];
    const credentials = [
      { token: null },
      { token: 'wrong' },
      { token: `${TOKEN}x` },
      { auth: TOKEN },
      { auth: `Basic ${TOKEN}` },
      { token: '' },
    ];
    for (const [method, path, body] of requests) {
      for (const c of credentials) {
        const r = await call(method, path, { ...c, ...(body !== undefined ? { body } : {}) });
        expect(r.status, `${method} ${path} ${JSON.stringify(c)}`).toBe(401);
        expect(r.text).toBe('');
        expect(r.headers['www-authenticate']).toBe('Bearer');
      }
    }
    // Nothing behind the refusals happened: no run began.
    expect(JSON.parse((await control({ type: 'status' })).text)).toEqual({ type: 'status', state: 'idle' });
  });

  it('answers malformed requests with 4xx and a stable code, never a 500 (fuzzed)', async () => {
    const bodies = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc
        .record({ type: fc.constantFrom('begin', 'connected', 'point', 'sample', 'expected', 'head', 'end'), runId: fc.anything() })
        .map((v) => JSON.stringify(v)),
      fc
        .record({
          type: fc.constant('connected'),
          runId: fc.string(),
          shard: fc.oneof(fc.integer(), fc.double(), fc.string()),
          clients: fc.anything(),
          waitMs: fc.integer({ min: -10, max: 100_000 }),
        })
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const r = await control(body);
        expect(r.status).toBeLessThan(500);
        if (r.status !== 200) expect(JSON.parse(r.text).error).toMatch(/^CB_ERR_[A-Z_]+$/);
      }),
      { numRuns: 300 },
    );
    expect(JSON.parse((await control('{"type":')).text).error).toBe('CB_ERR_BAD_JSON');
    const bad = await control({ type: 'end', runId: 'x', shard: -1, waitMs: 0 });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toBe('CB_ERR_BAD_CONTROL');
    const unknown = await control({ type: 'head', runId: 'no-such-run' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text).error).toBe('CB_ERR_UNKNOWN_RUN');
    const notShard = await call('POST', '/control/results', { body: '{"kind":"run"}' });
    expect(notShard.status).toBe(400);
    expect(JSON.parse(notShard.text).error).toBe('CB_ERR_RESULT_KIND');
    const tooLarge = await call('POST', '/control', { body: 'x'.repeat(16 * 1024 * 1024 + 1) });
    expect(tooLarge.status).toBe(413);
    expect((await call('GET', '/nope')).status).toBe(404);
    const wrongMethod = await call('PUT', '/control');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    expect(JSON.parse(wrongMethod.text).error).toBe('CB_ERR_METHOD');
    expect((await call('DELETE', '/control/results')).headers.allow).toBe('GET, POST');
    // Still serving.
    expect((await call('GET', '/control/clock')).status).toBe(200);
  });

  it('gives a clock offset of 0 within its bound over HTTP on one clock', async () => {
    const e = await probeClock(base, TOKEN, { warmup: 500, warmupMaxMs: 5000, exchanges: 200, exchangesMaxMs: 5000 });
    expect(e.exchanges).toBe(200);
    expect(Math.abs(e.offsetUs)).toBeLessThanOrEqual(e.boundUs);
    // Same process, loopback: the bound is half a round trip of this event loop, far below a millisecond.
    expect(e.boundUs).toBeLessThan(1000);
    process.stdout.write(`control clock in-process: offset ${e.offsetUs.toFixed(2)} µs, bound ${e.boundUs.toFixed(1)} µs\n`);
    await expect(probeClock(base, 'wrong-token', { warmup: 0, warmupMaxMs: 0, exchanges: 1, exchangesMaxMs: 0 })).rejects.toMatchObject({
      code: 'CB_ERR_CONTROL_CLOCK',
    });
  });
});
