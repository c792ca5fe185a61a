import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameDecoder, FrameType, MAX_FRAME_LENGTH_BYTES, encodeFrame, type Frame } from '../../src/models/tcp/framing.js';
import { ConnbenchError } from '../../src/util/errors.js';

/** Frames as comparable values (bodies copied out of the decoder's views). */
const plain = (frames: Frame[]) => frames.map((f) => ({ type: f.type, body: Buffer.from(f.body).toString('hex') }));

function decodeAll(chunks: Buffer[]) {
  const d = new FrameDecoder();
  const out: { type: number; body: string }[] = [];
  for (const c of chunks) {
    const r = d.push(c);
    expect(r.error).toBeUndefined();
    out.push(...plain(r.frames));
  }
  expect(d.pendingBytes).toBe(0);
  return out;
}

const SAMPLE: [FrameType, string][] = [
  [FrameType.HELLO, '{"cursor":null,"user":"u3"}'],
  [FrameType.PING, ''],
  [FrameType.MSG, '{"seq":1,"t":123,"body":"xxxx"}'],
  [FrameType.PONG, ''],
  [FrameType.MSG, `{"seq":2,"t":124,"from":"u1","to":"u3","body":"${'é€😀'.repeat(40)}"}`],
  [FrameType.GAP, '{"fromSeq":3,"toSeq":9}'],
  [FrameType.SEND, '{"to":"u2","t":1,"body":"hi"}'],
  [FrameType.MSG, `{"seq":10,"t":125,"body":"${'y'.repeat(300)}"}`],
];

describe('tcp framing', () => {
  const frames = SAMPLE.map(([type, body]) => encodeFrame(type, body));
  const stream = Buffer.concat(frames);
  const expected = SAMPLE.map(([type, body]) => ({ type, body: Buffer.from(body).toString('hex') }));

  it('encodes length = type byte + body, big-endian', () => {
    const f = encodeFrame(FrameType.MSG, 'abc');
    expect([...f]).toEqual([0, 0, 0, 4, 2, 0x61, 0x62, 0x63]);
    expect([...encodeFrame(FrameType.PING)]).toEqual([0, 0, 0, 1, 4]);
  });

  it('decodes a stream of many frames split at every byte position identically', () => {
    expect(decodeAll([stream])).toEqual(expected);
    for (let i = 0; i <= stream.length; i++) {
      expect(decodeAll([stream.subarray(0, i), stream.subarray(i)])).toEqual(expected);
    }
  });

  it('decodes a stream fed one byte at a time, and split at every pair of positions around frame edges', () => {
    const bytes = [...Array(stream.length).keys()].map((i) => stream.subarray(i, i + 1));
    expect(decodeAll(bytes)).toEqual(expected);
    // Three-way splits near the first two frame boundaries, where headers straddle chunks.
    const edge = frames[0]!.length + frames[1]!.length;
    for (let i = 0; i <= edge + 6; i++)
      for (let j = i; j <= edge + 12; j++)
        expect(decodeAll([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)])).toEqual(expected);
  });

  it('decodes a 1 MiB frame arriving in small pieces', () => {
    const big = encodeFrame(FrameType.MSG, Buffer.alloc(1024 * 1024, 7));
    const both = Buffer.concat([big, encodeFrame(FrameType.PING)]);
    const pieces: Buffer[] = [];
    for (let i = 0; i < both.length; i += 1000) pieces.push(both.subarray(i, i + 1000));
    const out = decodeAll(pieces);
    expect(out.map((f) => f.type)).toEqual([FrameType.MSG, FrameType.PING]);
    expect(out[0]!.body.length).toBe(2 * 1024 * 1024);
  });

  it('rejects an oversize length as soon as the length arrives, with CB_ERR_FRAME_TOO_LARGE', () => {
    const d = new FrameDecoder();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_LENGTH_BYTES + 1);
    expect(d.push(header.subarray(0, 3)).error).toBeUndefined();
    const r = d.push(header.subarray(3));
    expect(r.error).toBeInstanceOf(ConnbenchError);
    expect(r.error!.code).toBe('CB_ERR_FRAME_TOO_LARGE');
    // Poisoned: later bytes change nothing.
    expect(d.push(encodeFrame(FrameType.PING)).error?.code).toBe('CB_ERR_FRAME_TOO_LARGE');
  });

  it('accepts a frame of exactly the limit in its header', () => {
    const header = Buffer.from([0, 0, 0, 0, FrameType.MSG]);
    header.writeUInt32BE(MAX_FRAME_LENGTH_BYTES);
    const r = new FrameDecoder().push(header);
    expect(r.error).toBeUndefined();
    expect(r.frames).toEqual([]);
    expect(() => encodeFrame(FrameType.MSG, Buffer.alloc(MAX_FRAME_LENGTH_BYTES))).toThrow(/larger than/);
  });

  it('rejects an unknown type and a zero length with CB_ERR_BAD_FRAME, keeping the frames before them', () => {
    const bad = Buffer.concat([encodeFrame(FrameType.PING), Buffer.from([0, 0, 0, 1, 99])]);
    const r = new FrameDecoder().push(bad);
    expect(plain(r.frames)).toEqual([{ type: FrameType.PING, body: '' }]);
    expect(r.error?.code).toBe('CB_ERR_BAD_FRAME');
    expect(new FrameDecoder().push(Buffer.from([0, 0, 0, 0])).error?.code).toBe('CB_ERR_BAD_FRAME');
    // The type is judged as soon as its byte arrives, without waiting for the body.
    expect(new FrameDecoder().push(Buffer.from([0, 0, 1, 0, 0])).error?.code).toBe('CB_ERR_BAD_FRAME');
  });

  it('never throws on arbitrary bytes, split anyhow', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const d = new FrameDecoder();
        for (const c of chunks) {
          const r = d.push(c);
          for (const f of r.frames) expect(f.type).toBeGreaterThanOrEqual(1);
        }
      }),
    );
  });

  it('round-trips arbitrary frames split at an arbitrary position', () => {
    const frameArb = fc.record({ type: fc.integer({ min: 1, max: 6 }), body: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 10 }), fc.nat(), (list, at) => {
        const s = Buffer.concat(list.map((f) => encodeFrame(f.type as FrameType, Buffer.from(f.body))));
        const cut = s.length === 0 ? 0 : at % (s.length + 1);
        const want = list.map((f) => ({ type: f.type, body: Buffer.from(f.body).toString('hex') }));
        expect(decodeAll([s.subarray(0, cut), s.subarray(cut)])).toEqual(want);
      }),
    );
  });
});
