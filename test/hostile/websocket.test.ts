import { afterEach, describe, expect, it } from 'vitest';
import { HOSTILE_SETTINGS, cleanUp, closeCodeOf, exchange, start, stillServes, upgrade, wsFrame, WS_KEY_HEADERS } from './wire.js';

/**
 * The /ws upgrade and websocket frames against hostile peers: each refusal's status or close code,
 * the connection's end, and a well-behaved client of every listener served afterwards.
 */

afterEach(cleanUp);

const text = (s: string) => Buffer.from(s, 'utf8');
/** After the 101 and the hello: the frame under test, then we read until the server closes. */
const afterUpgrade = (frame: Buffer) => Buffer.concat([Buffer.from(upgrade('/ws')), frame]);

describe('hostile websocket: upgrades', () => {
  const CASES: [string, string, number][] = [
    ['no Sec-WebSocket-Key', upgrade('/ws', 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n'), 400],
    ['version 7', upgrade('/ws', WS_KEY_HEADERS.replace('Version: 13', 'Version: 7')), 400],
    ['a key that is not 16 bytes of base64', upgrade('/ws', WS_KEY_HEADERS.replace('dGhlIHNhbXBsZSBub25jZQ==', 'short')), 400],
    ['Upgrade: h2c', upgrade('/ws', WS_KEY_HEADERS.replace('Upgrade: websocket', 'Upgrade: h2c')), 400],
    ['an upgrade at another path', upgrade('/nope'), 404],
    ['a bad cursor', upgrade('/ws?cursor=-1'), 400],
  ];

  it.each(CASES)('%s: refused and closed', async (_what, request, status) => {
    const s = await start();
    const r = await exchange(s.httpPort, request);
    expect(r.status).toBe(status);
    expect(r.closedByServer).toBe(true);
    await stillServes(s);
  });
});

describe('hostile websocket: frames', () => {
  const CASES: [string, number, Buffer][] = [
    ['an unmasked frame', 1002, wsFrame(0x1, text('{}'), { masked: false })],
    ['a length of 2^63 - 1', 1009, wsFrame(0x1, Buffer.alloc(0), { length: 2n ** 63n - 1n })],
    ['a length of 2^53 (past what ws can count)', 1009, wsFrame(0x1, Buffer.alloc(0), { length: 2n ** 53n })],
    ['a message over 1 MiB', 1009, wsFrame(0x1, Buffer.alloc(0), { length: 1024n * 1024n + 1n })],
    ['invalid UTF-8 in a text frame', 1007, wsFrame(0x1, Buffer.from([0xc3, 0x28]))],
    ['a binary frame', 1008, wsFrame(0x2, text('{"type":"send"}'))],
    ['text that is not JSON', 1008, wsFrame(0x1, text('hello'))],
    ['JSON that is not a send', 1008, wsFrame(0x1, text('{"type":"subscribe"}'))],
    ['a send without t', 1008, wsFrame(0x1, text('{"type":"send","to":"u2","body":"x"}'))],
    ['a reserved opcode', 1002, wsFrame(0x3, Buffer.alloc(0))],
    ['RSV1 without an extension', 1002, wsFrame(0x1, text('{}'), { rsv1: true })],
    ['a fragmented ping', 1002, wsFrame(0x9, Buffer.alloc(0), { fin: false })],
    ['a continuation with nothing to continue', 1002, wsFrame(0x0, text('x'))],
    ['a ping of 126 bytes', 1002, wsFrame(0x9, Buffer.alloc(126))],
  ];

  it.each(CASES)('%s: close code %i', async (_what, code, frame) => {
    const s = await start();
    const r = await exchange(s.httpPort, afterUpgrade(frame));
    expect(r.text).toMatch(/^HTTP\/1\.1 101 /);
    expect(closeCodeOf(r.bytes)).toBe(code);
    expect(r.closedByServer).toBe(true);
    await stillServes(s);
  });

  it('a ping flood (10,000 pings at once): ws ends the connection once 60 pongs are unwritten; nothing grows', async () => {
    const s = await start();
    const flood = Buffer.concat(Array.from({ length: 10_000 }, () => wsFrame(0x9, Buffer.alloc(125, 1))));
    const r = await exchange(s.httpPort, Buffer.concat([Buffer.from(upgrade('/ws')), flood]), { waitMs: 5000 });
    expect(r.closedByServer).toBe(true);
    // Terminated: no close frame, and far fewer pongs than pings.
    expect(r.bytes.length).toBeLessThan(10_000 * 127);
    await stillServes(s);
  });

  it('slowloris after the upgrade (a frame one byte every 50 ms, no pong): ended as a dead peer, counted', async () => {
    // The stall sweeper would cut the unfinished frame too, at about the same time: left out of
    // the race, so the heartbeat alone must end it (the stall cut has tests of its own).
    const s = await start({ settings: { ...HOSTILE_SETTINGS, stallTimeoutMs: 10_000 } });
    const frame = wsFrame(0x1, text('{"type":"send","to":"u2","t":1,"body":"' + 'x'.repeat(300) + '"}'));
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const r = await exchange(s.httpPort, upgrade('/ws'), {
      waitMs: 5000,
      onConnected: (sock) => {
        timer = setInterval(() => !sock.destroyed && i < frame.length && sock.write(frame.subarray(i, ++i)), 50);
      },
    });
    clearInterval(timer);
    expect(r.closedByServer).toBe(true);
    // interval 200 ms + timeout 600 ms + a sweep tick, far below the 5 s the frame would take.
    expect(r.elapsedMs).toBeLessThan(3000);
    expect(s.host.counters.heartbeatTimeouts).toBe(1);
    await stillServes(s);
  });

  it('a fragmented message trickled between pongs: cut at the stall timeout, though every pong is a sign of life', async () => {
    const s = await start();
    let timer: NodeJS.Timeout | undefined;
    const r = await exchange(s.httpPort, Buffer.concat([Buffer.from(upgrade('/ws')), wsFrame(0x1, text('{'), { fin: false })]), {
      waitMs: 5000,
      onConnected: (sock) => {
        timer = setInterval(() => {
          if (sock.destroyed) return;
          sock.write(wsFrame(0x0, text(' '), { fin: false }));
          sock.write(wsFrame(0xa, Buffer.alloc(0)));
        }, 50);
      },
    });
    clearInterval(timer);
    expect(r.closedByServer).toBe(true);
    expect(r.elapsedMs).toBeLessThan(3000);
    await stillServes(s);
  });
});
