import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../src/proxy/faultProxy.js';
import type { IdleAction } from '../../src/proxy/options.js';
import { probeIdleTimeout } from '../../src/heartbeat/probe.js';
import { registerSilenceRoute } from '../../src/heartbeat/silenceRoute.js';
import { startHost } from '../helpers/harness.js';

/** The probe against the fault proxy in front of a reference host with the silence route, all in this process. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pathWith(idleTimeoutMs: number, idleAction: IdleAction): Promise<string> {
  const h = await startHost([]);
  registerSilenceRoute(h.host);
  cleanups.push(() => h.close());
  const proxy = new FaultProxy({ targetHost: '127.0.0.1', targetPort: h.httpPort, faults: { idleTimeoutMs, idleAction } });
  const port = await proxy.listen();
  cleanups.push(() => proxy.close());
  return `http://127.0.0.1:${port}/`;
}

describe('heartbeat probe against the fault proxy', () => {
  it('finds a silent drop by search, within the resolution', async () => {
    const via = await pathWith(600, 'silent');
    const r = await probeIdleTimeout({ via, resolutionMs: 200, maxMs: 2000, startMs: 250, parallel: 4 });
    expect(r.cutBy).toBe('silence');
    expect(r.idleTimeoutMs! - r.survivedMs).toBeLessThanOrEqual(200);
    expect(r.survivedMs).toBeLessThan(600 + 20);
    expect(r.idleTimeoutMs!).toBeGreaterThanOrEqual(600 - 20);
  }, 30_000);

  it('sees a reset as it happens and names it', async () => {
    const via = await pathWith(500, 'rst');
    const r = await probeIdleTimeout({ via, resolutionMs: 100, maxMs: 2000, startMs: 250, parallel: 4 });
    expect(r.cutBy).toBe('rst');
    expect(Math.abs(r.idleTimeoutMs! - 500)).toBeLessThanOrEqual(100);
    expect(r.attempts.find((a) => !a.survived)?.cutAfterMs).toBeDefined();
  }, 30_000);

  it('reports no timeout when nothing is cut up to the maximum', async () => {
    const via = await pathWith(0, 'fin');
    const r = await probeIdleTimeout({ via, resolutionMs: 100, maxMs: 400, startMs: 200, parallel: 2 });
    expect(r.idleTimeoutMs).toBeNull();
    expect(r.survivedMs).toBe(400);
  }, 30_000);
});
