import { afterEach, describe, expect, it } from 'vitest';
import type { HostOptions } from '../../src/server/host.js';
import { getModel } from '../../src/models/index.js';
import { MAX_SEND_BODY_BYTES } from '../../src/models/sendBody.js';
import { FrameType, encodeFrame } from '../../src/models/tcp/framing.js';
import { clientHelloFrame } from '../../src/models/tcp/protocol.js';
import { TEST_SETTINGS, clientOptions, closeSharedAgent, waitFor } from '../helpers/harness.js';
import { MODEL_IDS } from '../../src/models/index.js';
import { ConnbenchError } from '../../src/util/errors.js';
import {
  cleanUp,
  connect,
  exchange,
  get,
  start as startHostile,
  stillServes,
  tcpHelloBack,
  upgrade,
  type Started,
} from '../hostile/wire.js';

/**
 * The reference server against hostile or clumsy peers, over real loopback sockets: every case is
 * answered (or closed) on purpose, counted, and the server goes on serving. The raw-socket tools are
 * the hostile-input suite's (test/hostile/wire.ts), with the tests' usual heartbeat and the host's
 * own header timeout unless a case sets them.
 */

const start = (extra: Partial<HostOptions> = {}): Promise<Started> =>
  startHostile({ settings: TEST_SETTINGS, headersTimeoutMs: undefined, ...extra });

afterEach(async () => {
  await cleanUp();
  await closeSharedAgent();
});

const send = (body: string) =>
  `POST /send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

/** A TCP HELLO: the bytes of the server's answer (its HELLO frame), or none when it closes on us. */
async function tcpHello(port: number, frame: Buffer): Promise<{ bytes: number; closedByServer: boolean }> {
  const r = await exchange(port, frame, { enough: tcpHelloBack });
  return { bytes: r.bytes.length, closedByServer: r.closedByServer };
}

describe('reference server: invalid cursors get 400 on every model', () => {
  const BAD = ['-1', 'abc', '1.5', '1e3', '99999999999999999999'];

  it.each(BAD)('GET /poll, /events and the /ws upgrade answer 400 CB_ERR_BAD_CURSOR to cursor=%s', async (bad) => {
    const s = await start();
    for (const path of [`/poll?cursor=${bad}`, `/poll?cursor=${bad}&wait=100`, `/events?cursor=${bad}`]) {
      const r = await exchange(s.httpPort, get(path));
      expect(r.status, path).toBe(400);
      expect(r.json?.error, path).toBe('CB_ERR_BAD_CURSOR');
    }
    const ws = await exchange(s.httpPort, upgrade(`/ws?cursor=${bad}`));
    expect(ws.status).toBe(400);
    expect(ws.json?.error).toBe('CB_ERR_BAD_CURSOR');
    expect(ws.closedByServer).toBe(true);
    expect(s.host.counters.badRequests).toBe(4);
    await stillServes(s);
  });

  it('GET /events answers 400 to a Last-Event-ID that is not a non-negative integer', async () => {
    const s = await start();
    const r = await exchange(s.httpPort, get('/events', 'Last-Event-ID: -5\r\n'));
    expect(r.status).toBe(400);
    expect(r.json?.error).toBe('CB_ERR_BAD_CURSOR');
  });

  it('tcp closes the connection on a HELLO with a negative, fractional or string cursor, counted, and serves others', async () => {
    const s = await start();
    const bodies = [
      '{"cursor":-1,"user":"u1"}',
      '{"cursor":1.5,"user":"u1"}',
      '{"cursor":"7","user":"u1"}',
      '{"cursor":0,"user":5}',
      'not json',
    ];
    for (const body of bodies) {
      const r = await tcpHello(s.tcpPort, encodeFrame(FrameType.HELLO, body));
      expect(r, body).toEqual({ bytes: 0, closedByServer: true });
    }
    expect(s.host.counters.badRequests).toBe(bodies.length);
    await stillServes(s);
  });
});

describe('reference server: routes and bodies', () => {
  it('answers 404 CB_ERR_NOT_FOUND to unknown routes and upgrades, 405 to a known path with the wrong method', async () => {
    const s = await start();
    const r = await exchange(s.httpPort, get('/nope'));
    expect(r.status).toBe(404);
    expect(r.json?.error).toBe('CB_ERR_NOT_FOUND');
    const u = await exchange(s.httpPort, upgrade('/nope'));
    expect(u.status).toBe(404);
    expect(u.closedByServer).toBe(true);
    const m = await exchange(s.httpPort, get('/send'));
    expect(m.status).toBe(405);
    expect(m.text).toMatch(/\r\nallow: POST\r\n/i);
    expect(s.host.counters.notFound).toBe(2);
    await stillServes(s);
  });

  it('answers 400 to a request it cannot parse', async () => {
    const s = await start();
    const r = await exchange(s.httpPort, 'this is not http\r\n\r\n');
    expect(r.status).toBe(400);
    expect(r.closedByServer).toBe(true);
    expect(s.host.counters.clientErrors).toBe(1);
  });

  it('accepts a valid POST /send and refuses a malformed one with 400', async () => {
    const s = await start();
    const ok = await exchange(s.httpPort, send('{"from":"u1","to":"u2","t":1,"body":"hi"}'));
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ seq: 1 });
    const bad = await exchange(s.httpPort, send('{"to":3}'));
    expect(bad.status).toBe(400);
    expect(bad.json?.error).toBe('CB_ERR_BAD_SEND');
    expect(s.host.log.head).toBe(1);
  });

  it('answers 413 to a POST /send declaring a body over the limit, without waiting for it, and closes', async () => {
    const s = await start();
    const head = `POST /send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${MAX_SEND_BODY_BYTES + 1}\r\n\r\n`;
    const r = await exchange(s.httpPort, head);
    expect(r.status).toBe(413);
    expect(r.json?.error).toBe('CB_ERR_TOO_LARGE');
    expect(r.closedByServer).toBe(true);
  });

  it('answers 413 to a chunked POST /send that grows past the limit, and cuts the connection while we still send', async () => {
    const s = await start();
    const head = 'POST /send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = 'x'.repeat(64 * 1024);
    const framed = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    let sentBytes = 0;
    const r = await exchange(s.httpPort, head, {
      waitMs: 10_000,
      onConnected: (sock) => {
        // Keep sending, well past the limit, until the server cuts us off (bounded at 8x the limit).
        const pump = () => {
          while (!sock.destroyed && sentBytes < 8 * MAX_SEND_BODY_BYTES) {
            sentBytes += chunk.length;
            if (!sock.write(framed)) return void sock.once('drain', pump);
          }
        };
        pump();
      },
    });
    expect(r.status).toBe(413);
    expect(r.json?.error).toBe('CB_ERR_TOO_LARGE');
    expect(r.closedByServer).toBe(true);
    expect(sentBytes).toBeLessThan(8 * MAX_SEND_BODY_BYTES);
    expect(s.host.log.head).toBe(0);
    await stillServes(s);
  });
});

describe('reference server: slow and surplus clients', () => {
  it('answers 408 and closes a client whose headers do not arrive within headersTimeoutMs', async () => {
    const s = await start({ headersTimeoutMs: 300 });
    const t0 = performance.now();
    const r = await exchange(s.httpPort, 'GET /poll HTTP/1.1\r\nHost: x\r\nX-Slow: ', { waitMs: 5000 });
    expect(r.closedByServer).toBe(true);
    expect(r.status).toBe(408);
    expect(r.json?.error).toBe('CB_ERR_HEADERS_TIMEOUT');
    // Closed by the timeout, not by the end of our 5 s wait.
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(s.host.counters.headersTimeouts).toBe(1);
    await stillServes(s);
  });

  it('keeps a keep-alive connection idle between requests, and a held long poll, past the headers timeout', async () => {
    const s = await start({ headersTimeoutMs: 200 });
    const keepAlive = await connect(s.httpPort);
    const answers: string[] = [];
    keepAlive.on('data', (c: Buffer) => answers.push(c.toString()));
    keepAlive.write('GET /poll HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => answers.join('').includes('"messages"'), 'the first answer');
    const held = await exchange(s.httpPort, get('/poll?cursor=0&wait=800'));
    expect(held.status).toBe(200);
    // Idle for the whole hold (4x the timeout) and still usable.
    keepAlive.write('GET /poll HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => answers.join('').split('"messages"').length === 3, 'the second answer on the same connection');
    expect(s.host.counters.headersTimeouts ?? 0).toBe(0);
  });

  it('refuses connections over maxConnections clearly: HTTP 503 with a JSON code, tcp closed at accept; counted', async () => {
    const s = await start({ maxConnections: 3 });
    const held = await Promise.all([connect(s.httpPort), connect(s.httpPort), connect(s.tcpPort)]);
    await waitFor(() => s.host.openConnections === 3, 'three connections held');

    const http = await exchange(s.httpPort, get('/poll'));
    expect(http.status).toBe(503);
    expect(http.json?.error).toBe('CB_ERR_TOO_MANY_CONNECTIONS');
    expect(http.closedByServer).toBe(true);
    const ws = await exchange(s.httpPort, upgrade('/ws'));
    expect(ws.status).toBe(503);
    expect(ws.json?.error).toBe('CB_ERR_TOO_MANY_CONNECTIONS');
    const tcp = await tcpHello(s.tcpPort, clientHelloFrame(null, 'u1'));
    expect(tcp).toEqual({ bytes: 0, closedByServer: true });
    expect(s.host.counters.refusedConnections).toBe(3);
    expect(s.host.openConnections).toBe(3);

    // A freed slot is served again.
    held[0]!.destroy();
    await waitFor(() => s.host.openConnections === 2, 'a slot freed');
    const again = await exchange(s.httpPort, get('/poll'));
    expect(again.status).toBe(200);
  });

  it('each model client is told why: connect() rejects with CB_ERR_TOO_MANY_CONNECTIONS (tcp: closed before HELLO)', async () => {
    const s = await start({ maxConnections: 2 });
    await Promise.all([connect(s.httpPort), connect(s.tcpPort)]);
    await waitFor(() => s.host.openConnections === 2, 'the limit held');
    for (const id of MODEL_IDS) {
      let closes = 0;
      const client = getModel(id).createClient(
        { ...clientOptions(getModel(id), s, 1), cursor: null },
        {
          onSubscribed: () => undefined,
          onMessage: () => undefined,
          onGap: () => undefined,
          onError: () => undefined,
          onClose: () => void closes++,
        },
      );
      const err = await client.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, id).toBeInstanceOf(ConnbenchError);
      expect((err as ConnbenchError).code, id).toBe(id === 'tcp' ? 'CB_ERR_CLOSED' : 'CB_ERR_TOO_MANY_CONNECTIONS');
      await client.close();
      expect(closes, id).toBe(1);
    }
  });
});

describe('reference server: nothing escapes a handler', () => {
  it('answers 500 when a route handler throws, destroys an upgrade whose handler throws, and goes on', async () => {
    const s = await start();
    s.host.route('GET', '/boom', () => {
      throw new Error('boom');
    });
    s.host.upgrade('/boom', () => {
      throw new Error('boom');
    });
    const r = await exchange(s.httpPort, get('/boom'));
    expect(r.status).toBe(500);
    expect(r.json?.error).toBe('CB_ERR_INTERNAL');
    const u = await exchange(s.httpPort, upgrade('/boom'));
    expect(u.closedByServer).toBe(true);
    expect(s.host.counters.handlerErrors).toBe(2);
    await stillServes(s);
  });

  it('survives peers that reset while being refused, and a failed accept (EMFILE) on either listener', async () => {
    const s = await start({ maxConnections: 1 });
    const held = await connect(s.httpPort);
    await waitFor(() => s.host.openConnections === 1, 'one connection held');
    for (let i = 0; i < 20; i++) {
      const c = await connect(i % 2 ? s.tcpPort : s.httpPort);
      c.write(i % 4 === 0 ? upgrade('/ws') : get('/poll'));
      c.resetAndDestroy();
    }
    await waitFor(() => (s.host.counters.refusedConnections ?? 0) === 20, 'every surplus connection refused');
    // What libuv reports when accept() runs out of descriptors; unheard, it would crash the process.
    const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
    s.host.httpServer.emit('error', emfile);
    s.host.tcpServer.emit('error', emfile);
    expect(s.host.counters['acceptErrors.CB_ERR_EMFILE']).toBe(2);
    held.destroy();
    await waitFor(() => s.host.openConnections === 0, 'the held connection gone');
    await stillServes(s);
  });
});
