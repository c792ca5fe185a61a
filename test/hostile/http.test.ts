import { afterEach, describe, expect, it } from 'vitest';
import { PollServer } from '../../src/models/long-poll/server.js';
import { MAX_SEND_BODY_BYTES } from '../../src/models/sendBody.js';
import { cleanUp, connect, exchange, get, start, stillServes } from './wire.js';
import { waitFor } from '../helpers/harness.js';

/**
 * The HTTP listener against hostile peers (poll, SSE and chat routes): every answer checked, the
 * connection's fate checked, and a well-behaved client of every listener served afterwards. The
 * limits are HOSTILE_SETTINGS' (a 500 ms stall timeout, headers within 500 ms).
 */

afterEach(cleanUp);

const post = (path: string, contentLength: number | string, body = '') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n${body}`;

describe('hostile HTTP: cursors, wait and every', () => {
  const BAD = ['-1', 'abc', '1.5', '1e3', '', ' 1', '0x10', '9'.repeat(16), '9'.repeat(1000)];

  it.each(BAD)('cursor=%j: 400 CB_ERR_BAD_CURSOR on /poll, /events and the /ws upgrade', async (bad) => {
    const s = await start();
    const q = encodeURIComponent(bad);
    for (const path of [`/poll?cursor=${q}`, `/poll?cursor=${q}&wait=100`, `/events?cursor=${q}`, `/ws?cursor=${q}`]) {
      const r = await exchange(
        s.httpPort,
        path === `/ws?cursor=${q}`
          ? `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`
          : get(path),
      );
      expect(r.status, path).toBe(400);
      expect(r.json?.error, path).toBe('CB_ERR_BAD_CURSOR');
    }
    await stillServes(s);
  });

  it.each(['-1', '1.5', '1e3', '', '9'.repeat(16)])('wait=%j and every=%j: 400 naming the parameter', async (bad) => {
    const s = await start();
    for (const param of ['wait', 'every']) {
      const r = await exchange(s.httpPort, get(`/poll?cursor=0&${param}=${encodeURIComponent(bad)}`));
      expect(r.status, param).toBe(400);
      expect(String(r.json?.message), param).toContain(param);
    }
    await stillServes(s);
  });

  it('a wait of 15 digits is held no longer than the server’s longest hold', async () => {
    const s = await start({}, [new PollServer({ maxHoldMs: 300 })]);
    const r = await exchange(s.httpPort, get(`/poll?cursor=0&wait=${'9'.repeat(15)}`));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ cursor: 0, messages: [] });
    expect(r.elapsedMs).toBeLessThan(3000);
  });

  it('an every of 15 digits does not keep a silent connection forever: it is ended as a dead peer after the longest pause', async () => {
    const s = await start({}, [new PollServer({ maxHoldMs: 300, maxEveryMs: 300 })]);
    const r = await exchange(s.httpPort, `GET /poll?cursor=0&every=${'9'.repeat(15)} HTTP/1.1\r\nHost: x\r\n\r\n`, { waitMs: 5000 });
    expect(r.status).toBe(200);
    // every (capped at 300 ms) + the heartbeat timeout (600 ms) + one sweep tick.
    expect(r.closedByServer).toBe(true);
    expect(r.elapsedMs).toBeLessThan(3000);
    expect(s.host.counters.heartbeatTimeouts).toBe(1);
  });
});

describe('hostile HTTP: oversized requests', () => {
  it('a 1 MB URL: 400 CB_ERR_BAD_REQUEST and the connection closed', async () => {
    const s = await start();
    const r = await exchange(s.httpPort, get(`/poll?cursor=0&x=${'a'.repeat(1024 * 1024)}`));
    expect(r.status).toBe(400);
    expect(r.json?.error).toBe('CB_ERR_BAD_REQUEST');
    expect(r.closedByServer).toBe(true);
    await stillServes(s);
  });

  it('200 KB of headers: 400 CB_ERR_BAD_REQUEST and the connection closed', async () => {
    const s = await start();
    const headers = Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${'v'.repeat(100)}\r\n`).join('');
    const r = await exchange(s.httpPort, get('/poll', headers));
    expect(r.status).toBe(400);
    expect(r.json?.error).toBe('CB_ERR_BAD_REQUEST');
    expect(r.closedByServer).toBe(true);
    await stillServes(s);
  });

  it('a 50 MB POST /send is answered 413 CB_ERR_TOO_LARGE before its body, and cut while the body still streams', async () => {
    const s = await start();
    let sentBytes = 0;
    const chunk = Buffer.alloc(256 * 1024, 0x78);
    const r = await exchange(s.httpPort, post('/send', 50 * 1024 * 1024), {
      waitMs: 10_000,
      onConnected: (sock) => {
        const pump = () => {
          while (!sock.destroyed && sentBytes < 50 * 1024 * 1024) {
            sentBytes += chunk.length;
            if (!sock.write(chunk)) return void sock.once('drain', pump);
          }
        };
        pump();
      },
    });
    expect(r.status).toBe(413);
    expect(r.json?.error).toBe('CB_ERR_TOO_LARGE');
    expect(r.closedByServer).toBe(true);
    expect(sentBytes).toBeLessThan(50 * 1024 * 1024);
    expect(s.host.log.head).toBe(0);
    await stillServes(s);
  });

  it('a chunked POST /send past the limit: 413 and cut', async () => {
    const s = await start();
    const chunk = 'x'.repeat(64 * 1024);
    const framed = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    const head = 'POST /send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
    const r = await exchange(s.httpPort, head + framed.repeat(Math.ceil(MAX_SEND_BODY_BYTES / chunk.length) + 2), { waitMs: 5000 });
    expect(r.status).toBe(413);
    expect(r.closedByServer).toBe(true);
    await stillServes(s);
  });
});

describe('hostile HTTP: stalls', () => {
  it('a POST /send body shorter than its Content-Length: 408 CB_ERR_BODY_TIMEOUT after the stall timeout, closed, counted', async () => {
    const s = await start();
    const r = await exchange(s.httpPort, post('/send', 10, '{'), { waitMs: 5000 });
    expect(r.closedByServer).toBe(true);
    expect(r.status).toBe(408);
    expect(r.json?.error).toBe('CB_ERR_BODY_TIMEOUT');
    expect(r.elapsedMs).toBeLessThan(3000);
    expect(s.host.counters.bodyTimeouts).toBe(1);
    expect(s.host.log.head).toBe(0);
    await stillServes(s);
  });

  it('a chunked body that stops mid-chunk: 408 CB_ERR_BODY_TIMEOUT', async () => {
    const s = await start();
    const r = await exchange(s.httpPort, 'POST /send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"to"', {
      waitMs: 5000,
    });
    expect(r.closedByServer).toBe(true);
    expect(r.status).toBe(408);
    expect(r.json?.error).toBe('CB_ERR_BODY_TIMEOUT');
    await stillServes(s);
  });

  it('a body trickled one byte every 100 ms never completes in time: cut at the stall timeout, however alive it looks', async () => {
    const s = await start();
    let timer: NodeJS.Timeout | undefined;
    const r = await exchange(s.httpPort, post('/send', 1000, '{'), {
      waitMs: 5000,
      onConnected: (sock) => {
        timer = setInterval(() => !sock.destroyed && sock.write(' '), 100);
      },
    });
    clearInterval(timer);
    expect(r.closedByServer).toBe(true);
    expect(r.status).toBe(408);
    expect(r.elapsedMs).toBeLessThan(3000);
    await stillServes(s);
  });

  it('a request answered 404 whose body then stalls does not hold its connection', async () => {
    const s = await start();
    const r = await exchange(s.httpPort, post('/nope', 100, 'x'), { waitMs: 5000 });
    expect(r.status).toBe(404);
    expect(r.closedByServer).toBe(true);
    expect(r.elapsedMs).toBeLessThan(3000);
  });

  it('slowloris on the HTTP port (headers one byte every 50 ms): 408 CB_ERR_HEADERS_TIMEOUT', async () => {
    const s = await start();
    const text = 'GET /poll HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const r = await exchange(s.httpPort, text[0]!, {
      waitMs: 5000,
      onConnected: (sock) => {
        timer = setInterval(() => !sock.destroyed && i < text.length && sock.write(text[++i] ?? ''), 50);
      },
    });
    clearInterval(timer);
    expect(r.closedByServer).toBe(true);
    expect(r.status).toBe(408);
    expect(r.json?.error).toBe('CB_ERR_HEADERS_TIMEOUT');
    expect(r.elapsedMs).toBeLessThan(3000);
    await stillServes(s);
  });
});

describe('hostile HTTP: pipelining', () => {
  it('pipelined long polls on one connection: at most one is held, the rest are answered at once', async () => {
    const s = await start();
    const sock = await connect(s.httpPort);
    sock.pause();
    sock.write('GET /poll?cursor=0&wait=60000 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(500));
    await waitFor(() => (s.host.counters.pollRequests ?? 0) >= 2, 'the pipelined polls to arrive');
    expect(s.host.counters.heldPolls ?? 0).toBeLessThanOrEqual(1);
    await stillServes(s, 1);
  });

  it('pipelined GET /events on one connection: one stream; the rest get 429 CB_ERR_PIPELINED, queued behind it', async () => {
    const s = await start();
    const sock = await connect(s.httpPort);
    const received: Buffer[] = [];
    sock.on('data', (c: Buffer) => received.push(c));
    sock.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(200));
    await waitFor(() => Buffer.concat(received).includes('event: hello'), 'the first stream');
    await waitFor(() => (s.host.counters.pipelinedRequests ?? 0) >= 1, 'a refused pipelined stream');
    expect(s.host.hub.size).toBe(1);
    await stillServes(s, 1);
  });
});
