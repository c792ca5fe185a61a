import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Writable } from 'node:stream';
import * as ws from 'ws';

/** ws's own frame reader, which it exports but its type definitions leave out. */
const Receiver = (ws as unknown as { Receiver: new (o: { isServer: boolean; maxPayload: number }) => Writable }).Receiver;
import { ServerFrameDecoder } from '../../src/models/websocket/frameDecoder.js';
import { CloseCode, Opcode, closePayload, maskedFrame, type ServerFrameHandlers } from '../../src/models/websocket/frames.js';
import { acceptOf, handshakeProblem, parseHead, upgradeRequest } from '../../src/models/websocket/handshake.js';
import { textFrame } from '../../src/models/websocket/protocol.js';
import { LeanWebsocketClient } from '../../src/models/websocket/leanClient.js';
import { anyListener, closeSharedAgent, clientOptions, waitFor } from '../helpers/harness.js';
import { websocketModel } from '../../src/models/websocket/index.js';
import { handler } from './sseHelpers.js';

/** An unmasked server frame with any first byte and payload (what textFrame cannot build: other opcodes, fragments). */
function serverFrame(b0: number, payload: Buffer | string): Buffer {
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const n = p.length;
  const header = n < 126 ? Buffer.from([b0, n]) : n < 65536 ? Buffer.from([b0, 126, n >> 8, n & 0xff]) : Buffer.alloc(10);
  if (n >= 65536) {
    header[0] = b0;
    header[1] = 127;
    header.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    header.writeUInt32BE(n >>> 0, 6);
  }
  return Buffer.concat([header, p]);
}

const FIN = 0x80;
const textLine = (t: string) => `text ${t.length} ${t.slice(0, 12)}`;

afterAll(() => closeSharedAgent());

/** Every handler call as a line. */
function recording(): { calls: string[]; h: ServerFrameHandlers } {
  const calls: string[] = [];
  return {
    calls,
    h: {
      onText: (t) => calls.push(textLine(t.toString('utf8'))),
      onBinary: () => calls.push('binary'),
      onPing: (p) => calls.push(`ping ${p.toString('hex')}`),
      onPong: () => calls.push('pong'),
      onClose: (code, reason) => calls.push(`close ${code} ${reason}`),
    },
  };
}

function decodeAll(chunks: Buffer[], max = 1 << 20) {
  const { calls, h } = recording();
  const d = new ServerFrameDecoder(h, max);
  let violation;
  for (const c of chunks) violation = d.push(c) ?? violation;
  return { calls, violation };
}

const WIDE = 'ü€😀x'.repeat(40); // 300 bytes: a 16-bit length
const STREAM = Buffer.concat([
  textFrame('{"type":"hello","cursor":0}'),
  textFrame(`{"seq":1,"t":5,"body":"${WIDE}"}`),
  serverFrame(Opcode.TEXT, 'frag-one '),
  serverFrame(FIN | Opcode.PING, Buffer.from([1, 2, 3])),
  serverFrame(Opcode.CONTINUATION, 'two '),
  serverFrame(FIN | Opcode.CONTINUATION, 'three'),
  serverFrame(FIN | Opcode.PONG, ''),
  serverFrame(FIN | Opcode.BINARY, Buffer.from([0xff])),
  serverFrame(FIN | Opcode.CLOSE, closePayload(1000, 'bye')),
]);
const EXPECTED = [
  textLine('{"type":"hello","cursor":0}'),
  textLine(`{"seq":1,"t":5,"body":"${WIDE}"}`),
  'ping 010203',
  textLine('frag-one two three'),
  'pong',
  'binary',
  'close 1000 bye',
];

describe('server frame decoder', () => {
  it('decodes the same calls however the bytes are split: at every position, and one byte at a time', () => {
    expect(decodeAll([STREAM]).calls).toEqual(EXPECTED);
    for (let i = 0; i <= STREAM.length; i++) {
      const r = decodeAll([STREAM.subarray(0, i), STREAM.subarray(i)]);
      expect(r.calls, `split at ${i}`).toEqual(EXPECTED);
      expect(r.violation).toBeUndefined();
    }
    expect(decodeAll([...STREAM].map((b) => Buffer.from([b]))).calls).toEqual(EXPECTED);
  });

  it('reads a 64-bit length, split anywhere in its header and in a few places of its payload', () => {
    const big = 'x'.repeat(70_000);
    const bytes = Buffer.concat([textFrame(big), textFrame('after')]);
    const expected = [textLine(big), textLine('after')];
    for (const i of [...Array.from({ length: 14 }, (_, k) => k), 5000, 69_999, 70_009, 70_010, 70_011, bytes.length - 1])
      expect(decodeAll([bytes.subarray(0, i), bytes.subarray(i)]).calls, `split at ${i}`).toEqual(expected);
  });

  it('answers every protocol violation with its close code and a reason, and decodes nothing after it', () => {
    const cases: [Buffer, number, RegExp][] = [
      [Buffer.from([FIN | Opcode.TEXT, 0x80 | 1, 0, 0, 0, 0, 0x41]), CloseCode.PROTOCOL_ERROR, /masked/],
      [serverFrame(FIN | 0x40 | Opcode.TEXT, 'a'), CloseCode.PROTOCOL_ERROR, /reserved bits/],
      [serverFrame(FIN | 3, 'a'), CloseCode.PROTOCOL_ERROR, /unknown opcode 3/],
      [serverFrame(FIN | 11, 'a'), CloseCode.PROTOCOL_ERROR, /unknown control opcode 11/],
      [serverFrame(Opcode.PING, 'a'), CloseCode.PROTOCOL_ERROR, /fragmented control/],
      [serverFrame(FIN | Opcode.PING, 'p'.repeat(126)), CloseCode.PROTOCOL_ERROR, /longer than 125/],
      [serverFrame(FIN | Opcode.CONTINUATION, 'a'), CloseCode.PROTOCOL_ERROR, /no message to continue/],
      [
        Buffer.concat([serverFrame(Opcode.TEXT, 'a'), serverFrame(FIN | Opcode.TEXT, 'b')]),
        CloseCode.PROTOCOL_ERROR,
        /before the final fragment/,
      ],
      [serverFrame(FIN | Opcode.TEXT, Buffer.from([0xc3, 0x28])), CloseCode.INVALID_PAYLOAD, /not valid UTF-8/],
      [serverFrame(FIN | Opcode.CLOSE, Buffer.from([3])), CloseCode.PROTOCOL_ERROR, /one-byte payload/],
      [serverFrame(FIN | Opcode.CLOSE, closePayload(1005)), CloseCode.PROTOCOL_ERROR, /code 1005/],
      [serverFrame(FIN | Opcode.TEXT, 'y'.repeat(101)), CloseCode.TOO_BIG, /longer than 100 bytes/],
      [
        Buffer.concat([serverFrame(Opcode.TEXT, 'y'.repeat(60)), serverFrame(FIN | Opcode.CONTINUATION, 'y'.repeat(60))]),
        CloseCode.TOO_BIG,
        /longer than 100/,
      ],
    ];
    for (const [bytes, closeCode, message] of cases) {
      const r = decodeAll([bytes, textFrame('never seen')], 100);
      expect(r.violation, message.source).toMatchObject({ closeCode });
      expect(r.violation!.message).toMatch(message);
      expect(r.calls).not.toContain('text 10 never seen');
    }
  });
});

describe('client frames', () => {
  it('are masked frames that ws, as a server, reads back: text of every length class, ping, pong and close', async () => {
    const received: string[] = [];
    const receiver = new Receiver({ isServer: true, maxPayload: 1 << 20 });
    receiver.on('message', (data: Buffer) => received.push(`text ${data.length}`));
    receiver.on('ping', (data: Buffer) => received.push(`ping ${data.toString()}`));
    receiver.on('pong', (data: Buffer) => received.push(`pong ${data.toString()}`));
    receiver.on('conclude', (code: number, reason: Buffer) => received.push(`close ${code} ${reason.toString()}`));
    for (const n of [0, 125, 126, 65_535, 65_536])
      receiver.write(maskedFrame(Opcode.TEXT, Buffer.from('é'.repeat(n / 2) + 'z'.repeat(n % 2))));
    receiver.write(maskedFrame(Opcode.PING, Buffer.from('hi')));
    receiver.write(maskedFrame(Opcode.PONG, Buffer.from('ho')));
    receiver.write(maskedFrame(Opcode.CLOSE, closePayload(1000, 'done')));
    await waitFor(() => received.length === 8, 'every frame');
    expect(received).toEqual(['text 0', 'text 125', 'text 126', 'text 65535', 'text 65536', 'ping hi', 'pong ho', 'close 1000 done']);
  });

  it('mask with the key given, payload XOR key (RFC 6455 §5.3)', () => {
    const f = maskedFrame(Opcode.TEXT, Buffer.from('Hello'), Buffer.from([0x37, 0xfa, 0x21, 0x3d]));
    // The RFC's own example (§5.7): a masked "Hello".
    expect(f.toString('hex')).toBe('818537fa213d7f9f4d5158');
  });
});

describe('the client handshake', () => {
  it('computes Sec-WebSocket-Accept as RFC 6455 §1.3 does, and checks every part of the answer', () => {
    expect(acceptOf('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const ok = parseHead(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
    );
    if ('invalid' in ok) throw new Error(ok.invalid);
    expect(handshakeProblem(ok, key)).toBeUndefined();
    const without = (name: string, value?: string) => {
      const headers = { ...ok.headers };
      if (value === undefined) delete headers[name];
      else headers[name] = value;
      return handshakeProblem({ status: 101, headers }, key);
    };
    expect(without('sec-websocket-accept', 'AAAA')).toMatch(/Sec-WebSocket-Accept that does not match/);
    expect(without('sec-websocket-accept')).toMatch(/Sec-WebSocket-Accept/);
    expect(without('upgrade')).toMatch(/Upgrade: \(none\)/);
    expect(without('connection', 'close')).toMatch(/Connection: close/);
    expect(without('sec-websocket-extensions', 'permessage-deflate')).toMatch(/extension/);
    expect(without('sec-websocket-protocol', 'chat')).toMatch(/subprotocol/);
    expect(handshakeProblem({ status: 200, headers: ok.headers }, key)).toMatch(/HTTP 200/);
    expect(parseHead('SSH-2.0-x')).toMatchObject({ invalid: expect.stringMatching(/not HTTP/) });
    expect(upgradeRequest('/ws?user=u1', '127.0.0.1:80', key)).toMatch(
      /^GET \/ws\?user=u1 HTTP\/1\.1\r\n[^]*Sec-WebSocket-Version: 13\r\n\r\n$/,
    );
  });

  describe('the lean client against a server that answers wrongly', () => {
    const servers: net.Server[] = [];
    afterEach(() => Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r)))));

    async function answering(answer: (key: string) => string): Promise<number> {
      const server = net.createServer((socket) => {
        socket.on('error', () => undefined);
        socket.once('data', (req) => {
          const key = /Sec-WebSocket-Key: (\S+)/i.exec(req.toString())?.[1] ?? '';
          socket.write(Buffer.from(answer(key), 'latin1'));
        });
      });
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return (server.address() as net.AddressInfo).port;
    }

    it('refuses a 101 whose Sec-WebSocket-Accept does not match its key, and one that sends broken frames', async () => {
      const bad = await answering(
        () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: xyz=\r\n\r\n',
      );
      let closes = 0;
      const c = new LeanWebsocketClient(
        { ...clientOptions(websocketModel, anyListener(bad), 1), cursor: null },
        handler({ onClose: () => void closes++ }),
      );
      await expect(c.connect()).rejects.toMatchObject({ code: 'CB_ERR_PROTOCOL', message: expect.stringMatching(/Sec-WebSocket-Accept/) });
      await waitFor(() => closes === 1, 'onClose');

      const masked = await answering(
        (key) =>
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(key)}\r\n\r\n` +
          '\x81\x81\x00\x00\x00\x00A',
      );
      const d = new LeanWebsocketClient({ ...clientOptions(websocketModel, anyListener(masked), 2), cursor: null }, handler());
      await expect(d.connect()).rejects.toMatchObject({ code: 'CB_ERR_PROTOCOL', message: expect.stringMatching(/masked frame/) });
    });
  });
});
