import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModels } from '../../src/models/index.js';
import type { Model } from '../../src/models/types.js';
import { PLAIN_TRANSPORT, originOf, type Transport } from '../../src/models/transport.js';
import { ClientDispatchers } from '../../src/client/dispatchers.js';
import { ClientSession } from '../../src/client/session.js';
import { SwappableDispatcher } from '../../src/client/swappableDispatcher.js';
import { WorkerTransport } from '../../src/client/transport.js';
import { initHistograms } from '../../src/metrics/histogram.js';
import { makeThrowawayCertificates, type CertificateSet } from '../../src/runner/certificates.js';
import { clientOptions, collectingSink, startHost, waitFor, type Target } from '../helpers/harness.js';

/**
 * Every model over TLS against the reference host in this process, with the clients' transport as
 * a run's workers make it: the server verified against the run's CA, TCP connect and handshake
 * timed, sessions resumed. And what must never hang: a client that does not trust the server, a
 * plain client at a TLS port and a TLS client at a plain one.
 */
let certs: CertificateSet;
let stranger: CertificateSet;
const pools: ClientDispatchers[] = [];

beforeAll(async () => {
  await initHistograms();
  [certs, stranger] = await Promise.all([makeThrowawayCertificates(), makeThrowawayCertificates()]);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
});

/** A session of `model` at `target` over `transport`, its HTTP requests made over the same transport (as a worker's: a drop closes them). */
function sessionOver(model: Model, target: Target, transport: Transport, sink = collectingSink()) {
  const port = target.ports[model.listener]!;
  const pool = new ClientDispatchers(originOf('http', transport.secure, '127.0.0.1', port), {
    ...(transport instanceof WorkerTransport ? { connector: transport.connector } : {}),
  });
  pools.push(pool);
  const dispatcher = new SwappableDispatcher(() => pool.forClient(true, undefined));
  const o = clientOptions(model, target, 1, { transport, dispatcher });
  return { session: new ClientSession(model, o, sink, { minDelayMs: 10, maxDelayMs: 50, resume: 'cursor' }), sink };
}

/** The code a first connect failed with, within `withinMs` (never a hang). */
async function firstConnectError(session: ClientSession, sink: ReturnType<typeof collectingSink>, withinMs: number): Promise<string> {
  const started = Date.now();
  await expect(session.start()).rejects.toBeTruthy();
  expect(Date.now() - started).toBeLessThan(withinMs);
  await session.stop();
  return sink.errors[0]!;
}

describe.each(allModels().map((m) => [m.id, m] as const))('%s over TLS', (_id, model) => {
  it('subscribes, receives every message, and resumes its TLS session when it reconnects', async () => {
    const h = await startHost([model], { tls: { certPem: certs.certPem, keyPem: certs.keyPem } });
    const transport = new WorkerTransport({ caPem: certs.caPem, resumption: true }, 3000);
    const { session, sink } = sessionOver(model, h, transport);
    try {
      await session.start();
      h.publish(5);
      await waitFor(() => session.tracker.unique >= 5, 'the first 5 messages');
      // A ticket is in hand once the server's first bytes have been read; the reconnect offers it.
      session.drop();
      await waitFor(() => session.connected && session.reconnects >= 1, 'the reconnect');
      h.publish(5);
      await waitFor(() => session.tracker.unique >= 10, 'the next 5 messages');
      const r = transport.report();
      expect(r.protocol).toBe('TLSv1.3');
      expect(r.handshakes).toBeGreaterThanOrEqual(2);
      expect(r.resumed).toBeGreaterThanOrEqual(1);
      expect(h.host.counters.tlsHandshakes).toBeGreaterThanOrEqual(2);
      expect(h.host.counters.tlsResumed).toBeGreaterThanOrEqual(1);
      expect(session.tracker.duplicates).toBe(0);
      expect(sink.errors.filter((c) => c !== 'CB_ERR_ABORTED')).toEqual([]);
    } finally {
      await session.stop();
      await h.close();
    }
  });

  it('refuses a server its CA did not sign: CB_ERR_TLS_VERIFY, at once', async () => {
    const h = await startHost([model], { tls: { certPem: certs.certPem, keyPem: certs.keyPem } });
    const { session, sink } = sessionOver(model, h, new WorkerTransport({ caPem: stranger.caPem, resumption: true }, 3000));
    try {
      expect(await firstConnectError(session, sink, 2500)).toBe('CB_ERR_TLS_VERIFY');
    } finally {
      await h.close();
    }
  });

  it('a plain client at a TLS port fails and is counted on both sides, never hangs', async () => {
    const h = await startHost([model], { tls: { certPem: certs.certPem, keyPem: certs.keyPem } });
    const { session, sink } = sessionOver(model, h, PLAIN_TRANSPORT);
    try {
      expect(await firstConnectError(session, sink, 2500)).toMatch(/^CB_ERR_/);
      await waitFor(() => Object.keys(h.host.counters).some((k) => k.startsWith('tlsClientErrors.ERR_SSL_')), 'the server to count it');
    } finally {
      await h.close();
    }
  });

  it('a TLS client at a plain port fails with a code, never hangs', async () => {
    const h = await startHost([model]);
    const { session, sink } = sessionOver(model, h, new WorkerTransport({ caPem: certs.caPem, resumption: true }, 3000));
    try {
      const code = await firstConnectError(session, sink, 2500);
      // HTTP answers the ClientHello with a 400 OpenSSL cannot read; the tcp framing closes at its length.
      expect(code).toBe(model.listener === 'http' ? 'CB_ERR_TLS_PROTOCOL' : 'CB_ERR_CONN_RESET');
    } finally {
      await h.close();
    }
  });
});

describe('the transport of a run worker', () => {
  it('gives every connection a deadline of its own: a server that never answers the handshake is CB_ERR_CONNECT_TIMEOUT', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const transport = new WorkerTransport({ caPem: certs.caPem, resumption: true }, 300);
    try {
      const started = Date.now();
      const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
        const s = transport.connect({ host: '127.0.0.1', port }, () => resolve(new Error('connected') as NodeJS.ErrnoException));
        s.once('error', resolve);
      });
      expect((err as { code?: string }).code).toBe('CB_ERR_CONNECT_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(transport.report().opened).toBe(0);
    } finally {
      silent.close();
    }
  });

  it('keeps a TLS session per client: a client resumes its own, a new client makes a full handshake', async () => {
    const server = tls.createServer({ cert: certs.certPem, key: certs.keyPem }, (s) => s.end('hi'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const worker = new WorkerTransport({ caPem: certs.caPem, resumption: true }, 2000);
    // Read to the end: TLS 1.3 tickets arrive after the handshake.
    const once = (t: Transport) =>
      new Promise<boolean>((resolve, reject) => {
        const s = t.connect({ host: '127.0.0.1', port }, () => undefined) as tls.TLSSocket;
        s.on('data', () => undefined);
        s.once('end', () => resolve(s.isSessionReused()));
        s.once('error', reject);
      });
    try {
      const a = worker.forClient();
      const b = worker.forClient();
      expect([await once(a), await once(a), await once(b), await once(b)]).toEqual([false, true, false, true]);
      const r = worker.report();
      expect({ handshakes: r.handshakes, resumed: r.resumed }).toEqual({ handshakes: 4, resumed: 2 });
    } finally {
      server.close();
    }
  });

  it('plain: times the TCP connect of every connection, and counts them', async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const transport = new WorkerTransport(undefined, 1000);
    try {
      for (let i = 0; i < 3; i++)
        await new Promise<void>((resolve, reject) => {
          const s = transport.connect({ host: '127.0.0.1', port }, () => {
            s.destroy();
            resolve();
          });
          s.once('error', reject);
        });
      const r = transport.report();
      expect(r.opened).toBe(3);
      expect(transport.connectionsOpened).toBe(3);
      expect(r.handshakes).toBe(0);
      expect(r.tcpHistogram.length).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });
});
