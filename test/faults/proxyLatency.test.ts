import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { FaultProxy } from '../../src/proxy/faultProxy.js';

/**
 * A latency fault changes the proxy's delay while connections are open (the clients of a run
 * connected long before): open and new connections both get it, and order is kept when it ends.
 * Only lower bounds on time are asserted: a delay line may add, never remove.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function echoBehindProxy(): Promise<FaultProxy> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const proxy = new FaultProxy({ targetHost: '127.0.0.1', targetPort: (server.address() as net.AddressInfo).port });
  await proxy.listen();
  cleanups.push(() => proxy.close());
  return proxy;
}

async function client(port: number) {
  const s = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => s.once('connect', () => r()).once('error', j));
  let received = '';
  let sent = '';
  s.on('data', (d) => (received += d.toString()));
  cleanups.push(async () => void s.destroy());
  /** Sends text and resolves with the ms until the echo of all of it (and what was sent before) came back. */
  const roundTrip = (text: string) =>
    new Promise<number>((resolve, reject) => {
      const from = performance.now();
      const want = (sent += text);
      const deadline = setTimeout(() => reject(new Error(`no echo of ${text}: got ${received}`)), 5000);
      const check = () => {
        if (!received.startsWith(want)) return;
        clearTimeout(deadline);
        s.off('data', check);
        resolve(performance.now() - from);
      };
      s.on('data', check);
      s.write(text);
    });
  return { roundTrip, received: () => received };
}

describe('fault proxy latency set while connections are open', () => {
  it('reaches open and new connections both ways, and ends without reordering', async () => {
    const proxy = await echoBehindProxy();
    const open = await client(proxy.port);
    await open.roundTrip('a');
    proxy.setLatency(150, 0);
    // 150 ms each way.
    expect(await open.roundTrip('b')).toBeGreaterThanOrEqual(300);
    const fresh = await client(proxy.port);
    expect(await fresh.roundTrip('c')).toBeGreaterThanOrEqual(300);
    // Ending the fault while chunks wait in the delay line: they still come back first, in order.
    const pending = open.roundTrip('de');
    proxy.setLatency(0, 0);
    await open.roundTrip('f');
    await pending;
    expect(open.received()).toBe('abdef');
  });
});
