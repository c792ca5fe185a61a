import { afterEach, describe, expect, it } from 'vitest';
import { FrameType, encodeFrame } from '../../src/models/tcp/framing.js';
import { clientHelloFrame } from '../../src/models/tcp/protocol.js';
import { MAX_SEND_BODY_BYTES } from '../../src/models/sendBody.js';
import { cleanUp, connect, exchange, rawTcpFrame, start, stillServes } from './wire.js';
import { waitFor } from '../helpers/harness.js';

/**
 * The tcp listener against hostile peers: a frame it cannot use closes the connection (the
 * contract has no error frame), counted; a partial frame may not stall; a peer that floods PINGs
 * without reading the PONGs is cut as a slow reader. A well-behaved client of every listener is
 * served afterwards.
 */

afterEach(cleanUp);

const hello = clientHelloFrame(null, 'u1');

describe('hostile tcp: frames', () => {
  const CASES: [string, Buffer][] = [
    ['length 0', rawTcpFrame(0, 0)],
    ['length 2^32 - 1', rawTcpFrame(0xffffffff, FrameType.MSG)],
    ['length 16 MiB + 1', rawTcpFrame(16 * 1024 * 1024 + 1, FrameType.SEND)],
    ['a client frame longer than a send may be (1 MiB + 2)', rawTcpFrame(MAX_SEND_BODY_BYTES + 2, FrameType.SEND)],
    ['unknown type 0', rawTcpFrame(1, 0)],
    ['unknown type 7', rawTcpFrame(1, 7)],
    ['unknown type 255', rawTcpFrame(1, 255)],
    ['a MSG from the client', encodeFrame(FrameType.MSG, '{"seq":1,"t":1,"body":""}')],
    ['a GAP from the client', encodeFrame(FrameType.GAP, '{"fromSeq":1,"toSeq":2}')],
    ['a SEND before the HELLO', encodeFrame(FrameType.SEND, '{"to":"u2","t":1,"body":"x"}')],
    ['a HELLO that is not JSON', encodeFrame(FrameType.HELLO, 'hello')],
    ['a HELLO with a cursor of 2^64', encodeFrame(FrameType.HELLO, '{"cursor":18446744073709551616}')],
  ];

  it.each(CASES)('%s: closed at once, counted', async (_what, frame) => {
    const s = await start();
    const r = await exchange(s.tcpPort, frame, { waitMs: 3000 });
    expect(r.closedByServer).toBe(true);
    expect(r.bytes.length).toBe(0);
    expect(r.elapsedMs).toBeLessThan(1000);
    expect((s.host.counters.badFrames ?? 0) + (s.host.counters.badRequests ?? 0)).toBe(1);
    await stillServes(s);
  });

  it('a second HELLO: closed after the first one’s answer', async () => {
    const s = await start();
    const r = await exchange(s.tcpPort, Buffer.concat([hello, hello]), { waitMs: 3000 });
    expect(r.closedByServer).toBe(true);
    expect(s.host.counters.badFrames).toBe(1);
    await stillServes(s);
  });
});

describe('hostile tcp: stalls', () => {
  it('a partial frame trickled one byte every 50 ms: cut at the stall timeout, though every byte is a sign of life', async () => {
    const s = await start();
    let timer: NodeJS.Timeout | undefined;
    const r = await exchange(s.tcpPort, Buffer.concat([hello, rawTcpFrame(1000, FrameType.SEND, Buffer.from('{'))]), {
      waitMs: 5000,
      onConnected: (sock) => {
        timer = setInterval(() => !sock.destroyed && sock.write(' '), 50);
      },
    });
    clearInterval(timer);
    expect(r.closedByServer).toBe(true);
    expect(r.elapsedMs).toBeLessThan(3000);
    expect(s.host.counters.stalledFrames).toBe(1);
    await stillServes(s);
  });

  it('slowloris before the HELLO (a HELLO one byte every 50 ms): cut at the stall timeout', async () => {
    const s = await start();
    // 130 bytes at 50 ms each would take 6.5 s.
    const slowHello = clientHelloFrame(null, 'u'.repeat(100));
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const r = await exchange(s.tcpPort, slowHello.subarray(0, 1), {
      waitMs: 5000,
      onConnected: (sock) => {
        timer = setInterval(() => !sock.destroyed && i < slowHello.length - 1 && sock.write(slowHello.subarray(++i, i + 1)), 50);
      },
    });
    clearInterval(timer);
    expect(r.closedByServer).toBe(true);
    expect(r.elapsedMs).toBeLessThan(3000);
    await stillServes(s);
  });

  it('a peer that connects and says nothing: ended as a dead peer', async () => {
    const s = await start();
    const r = await exchange(s.tcpPort, Buffer.alloc(0), { waitMs: 5000 });
    expect(r.closedByServer).toBe(true);
    expect(r.elapsedMs).toBeLessThan(3000);
    expect(s.host.counters.heartbeatTimeouts).toBe(1);
  });
});

describe('hostile tcp: a PING flood that never reads its PONGs', () => {
  it('is cut as a slow reader once its queue passes the limit, counted', async () => {
    const s = await start();
    const sock = await connect(s.tcpPort);
    sock.pause();
    sock.on('error', () => undefined);
    sock.write(hello);
    const flood = Buffer.concat(Array.from({ length: 20_000 }, () => encodeFrame(FrameType.PING)));
    let sentBytes = 0;
    // Bounded: at most 400 MB of PINGs, or until the server cuts us.
    const pump = () => {
      while (!sock.destroyed && sentBytes < 400e6) {
        sentBytes += flood.length;
        if (!sock.write(flood)) return void sock.once('drain', pump);
      }
    };
    pump();
    await waitFor(() => (s.host.counters.slowReaderCuts ?? 0) === 1, 'the flood to be cut', 20_000);
    sock.destroy();
    await stillServes(s);
  });
});
