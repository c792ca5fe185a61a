import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { FaultProxy, type ProxyOptions } from '../../src/proxy/faultProxy.js';
import { chosen } from '../../src/util/chosen.js';
import { faultProblems, NO_FAULTS, parseForward } from '../../src/proxy/options.js';
import { departureMs } from '../../src/proxy/delayLine.js';
import { waitFor } from '../helpers/harness.js';
import { nowUs } from '../../src/metrics/clock.js';

/** An upstream that echoes, and remembers every socket it accepted and how each ended. */
async function echoServer() {
  const sockets: { s: net.Socket; ended: boolean; closed: boolean; received: number }[] = [];
  const server = net.createServer({ allowHalfOpen: false }, (s) => {
    const e = { s, ended: false, closed: false, received: 0 };
    sockets.push(e);
    s.on('data', (d) => {
      e.received += d.length;
      s.write(d);
    });
    s.on('end', () => (e.ended = true));
    s.on('error', () => undefined);
    s.on('close', () => (e.closed = true));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, sockets, port: (server.address() as net.AddressInfo).port };
}

interface Peer {
  s: net.Socket;
  data: Buffer[];
  ended: boolean;
  closed: boolean;
  error: string | undefined;
  text(): string;
}

function connect(port: number): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const p: Peer = { s, data: [], ended: false, closed: false, error: undefined, text: () => Buffer.concat(p.data).toString() };
    s.on('data', (d) => p.data.push(d));
    s.on('end', () => (p.ended = true));
    s.on('error', (e: NodeJS.ErrnoException) => (p.error = e.code ?? e.message));
    s.on('close', () => (p.closed = true));
    s.once('connect', () => resolve(p));
    s.once('error', reject);
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(faults: ProxyOptions['faults'] = {}, extra: Partial<ProxyOptions> = {}) {
  const echo = await echoServer();
  const proxy = new FaultProxy({ targetHost: '127.0.0.1', targetPort: echo.port, faults, keepRecords: true, ...extra });
  const port = await proxy.listen();
  cleanups.push(() => new Promise<void>((r) => echo.server.close(() => r())));
  cleanups.push(() => proxy.close());
  cleanups.push(() => {
    for (const e of echo.sockets) e.s.destroy();
  });
  return { echo, proxy, port };
}

describe('fault proxy: pure parts', () => {
  it('chooses an exact fraction of every prefix', () => {
    const pick = (n: number, f: number) => Array.from({ length: n }, (_, i) => i).filter((i) => chosen(i, f));
    expect(pick(10, 0.5)).toEqual([1, 3, 5, 7, 9]);
    expect(pick(10, 0)).toEqual([]);
    expect(pick(4, 1)).toEqual([0, 1, 2, 3]);
    expect(pick(100, 0.1)).toHaveLength(10);
    expect(pick(7, 0.3)).toHaveLength(Math.floor(7 * 0.3));
  });

  it('never lets a chunk leave before the one ahead of it', () => {
    expect(departureMs(100, 0, 10, 0, 0.5)).toBe(110);
    expect(departureMs(100, 0, 10, 20, 0.5)).toBe(120);
    expect(departureMs(100, 150, 10, 20, 0)).toBe(150);
  });

  it('parses forwards and names bad faults', () => {
    expect(parseForward('9080:127.0.0.1:8080')).toEqual({ listenPort: 9080, targetHost: '127.0.0.1', targetPort: 8080 });
    expect(parseForward('0:8081')).toEqual({ listenPort: 0, targetHost: '127.0.0.1', targetPort: 8081 });
    expect(() => parseForward('nope')).toThrow(/LISTEN_PORT/);
    expect(faultProblems({ ...NO_FAULTS, resetFraction: 2, idleTimeoutMs: -1 })).toHaveLength(2);
    expect(() => new FaultProxy({ targetHost: '127.0.0.1', targetPort: 1, faults: { idleAction: 'maybe' as never } })).toThrow(
      /idle action/,
    );
  });
});

describe('fault proxy: sockets', () => {
  it('forwards both ways and counts payload bytes', async () => {
    const { proxy, port } = await setup();
    const p = await connect(port);
    p.s.write('hello');
    await waitFor(() => p.text() === 'hello', 'the echo');
    expect(proxy.stats).toMatchObject({ accepted: 1, open: 1, bytesUp: 5, bytesDown: 5 });
    p.s.end();
    await waitFor(() => p.closed && proxy.stats.open === 0, 'both sides to close');
    expect(proxy.records()[0]).toMatchObject({ state: 'closed', bytesUp: 5, bytesDown: 5 });
  });

  it('closes an idle connection with a FIN after the idle timeout, and keeps a busy one', async () => {
    const idleMs = 300;
    const { proxy, port, echo } = await setup({ idleTimeoutMs: idleMs, idleAction: 'fin' });
    const quiet = await connect(port);
    const busy = await connect(port);
    const t0 = Date.now();
    const ticker = setInterval(() => busy.s.write('.'), idleMs / 3);
    cleanups.push(() => clearInterval(ticker));
    await waitFor(() => quiet.ended, 'the FIN', 5000);
    const cutAfterMs = Date.now() - t0;
    expect(cutAfterMs).toBeGreaterThanOrEqual(idleMs - 5);
    expect(quiet.error).toBeUndefined();
    await waitFor(() => echo.sockets[0]!.ended, 'the server side FIN');
    // The busy one outlives several idle timeouts.
    await waitFor(() => Date.now() - t0 > 3 * idleMs, 'three idle timeouts', 5000);
    expect(busy.ended || busy.closed).toBe(false);
    expect(proxy.stats.idleCuts).toBe(1);
    expect(proxy.records().find((r) => r.fault)?.fault?.kind).toBe('idle-fin');
  });

  it('resets an idle connection with idle action rst', async () => {
    const { port, echo } = await setup({ idleTimeoutMs: 200, idleAction: 'rst' });
    const p = await connect(port);
    await waitFor(() => p.closed, 'the reset', 5000);
    expect(p.error).toBe('ECONNRESET');
    await waitFor(() => echo.sockets[0]!.closed, 'the server side to close');
  });

  it('silently stops forwarding an idle connection: nobody is told, nothing passes', async () => {
    const { proxy, port, echo } = await setup({ idleTimeoutMs: 200, idleAction: 'silent' });
    const p = await connect(port);
    await waitFor(() => proxy.stats.idleCuts === 1, 'the silent cut', 5000);
    p.s.write('lost');
    await waitFor(() => proxy.records()[0]!.state === 'silent', 'the silent state');
    const until = Date.now() + 300;
    await waitFor(() => Date.now() > until, 'a quiet spell');
    expect(echo.sockets[0]!.received).toBe(0);
    expect(p.ended || p.closed || echo.sockets[0]!.ended).toBe(false);
    // The client gives up; the server is still not told.
    p.s.destroy();
    await waitFor(() => proxy.records()[0]!.clientClosedAtUs !== undefined, 'the client close to be seen');
    expect(echo.sockets[0]!.ended || echo.sockets[0]!.closed).toBe(false);
  });

  it('silent-rst resets the side that speaks after the cut, and only that side', async () => {
    const { proxy, port, echo } = await setup({ idleTimeoutMs: 200, idleAction: 'silent-rst' });
    const p = await connect(port);
    await waitFor(() => proxy.stats.idleCuts === 1, 'the silent cut', 5000);
    p.s.write('late');
    await waitFor(() => p.closed, 'the reset', 5000);
    expect(p.error).toBe('ECONNRESET');
    expect(echo.sockets[0]!.ended || echo.sockets[0]!.closed).toBe(false);
  });

  it('turns chosen connections half-open at once and records when each side gives up', async () => {
    const { proxy, port, echo } = await setup();
    const a = await connect(port);
    const b = await connect(port);
    await waitFor(() => proxy.openIds().length === 2, 'two connections');
    const injectedAtUs = nowUs();
    const [rec] = proxy.halfOpenFraction(0.5);
    expect(rec!.id).toBe(1);
    expect(proxy.stats.halfOpened).toBe(1);
    b.s.write('x');
    a.s.write('y');
    await waitFor(() => a.text() === 'y', 'the healthy echo');
    echo.sockets[1]!.s.destroy();
    await waitFor(() => rec!.serverClosedAtUs !== undefined, 'the server side to give up');
    expect(rec!.serverClosedAtUs!).toBeGreaterThan(injectedAtUs);
    expect(b.ended || b.closed).toBe(false);
    b.s.end();
    await waitFor(() => rec!.clientClosedAtUs !== undefined && rec!.closedAtUs !== undefined, 'the client side to give up');
  });

  it('adds latency with jitter and keeps the order of the bytes', async () => {
    const latencyMs = 40;
    const { port } = await setup({ latencyMs, jitterMs: 30 });
    const p = await connect(port);
    const t0 = performance.now();
    p.s.write('a');
    await waitFor(() => p.text() === 'a', 'the delayed echo');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * latencyMs - 2);
    const expected = Array.from({ length: 200 }, (_, i) => `${i},`).join('');
    for (let i = 0; i < 200; i++) p.s.write(`${i},`);
    await waitFor(() => p.text().length === 1 + expected.length, 'every chunk');
    expect(p.text()).toBe(`a${expected}`);
  });

  it('resets an exact fraction of new connections after a delay', async () => {
    const { proxy, port } = await setup({ resetFraction: 0.5, resetAfterMs: 50 });
    const peers = await Promise.all([0, 1, 2, 3].map(() => connect(port)));
    await waitFor(() => proxy.stats.resets === 2, 'two resets', 5000);
    await waitFor(() => peers.filter((p) => p.closed).length === 2, 'two closed clients');
    expect(peers.filter((p) => p.error === 'ECONNRESET')).toHaveLength(2);
  });

  it('resets the client when the target refuses', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const proxy = new FaultProxy({ targetHost: '127.0.0.1', targetPort: deadPort });
    const port = await proxy.listen();
    cleanups.push(() => proxy.close());
    const p = await connect(port);
    await waitFor(() => p.closed, 'the refusal');
    expect(proxy.stats.upstreamErrors).toBe(1);
  });
});
