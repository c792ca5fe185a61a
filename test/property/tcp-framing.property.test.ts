import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameDecoder, FrameType, MAX_FRAME_LENGTH_BYTES, encodeFrame } from '../../src/models/tcp/framing.js';
import { clientHelloFrame, parseClientHello, parseGap, parseServerHello } from '../../src/models/tcp/protocol.js';
import { ConnbenchError } from '../../src/util/errors.js';
import { anyText, cutPoints, splitAt } from './chunking.js';

/**
 * Properties of the tcp framer beyond test/models/tcp-framing.test.ts (which has "never throws on
 * arbitrary bytes" and a round trip split at one position): any number of splits, what follows a
 * bad frame, truncated streams, and the JSON bodies the frames carry.
 */

interface Decoded {
  frames: { type: number; body: string }[];
  error: string | undefined;
  pendingBytes: number;
}

function decode(chunks: Uint8Array[]): Decoded {
  const d = new FrameDecoder();
  const out: Decoded = { frames: [], error: undefined, pendingBytes: 0 };
  for (const c of chunks) {
    const r = d.push(c);
    // Copy each body out before the next push: the decoder hands out views.
    out.frames.push(...r.frames.map((f) => ({ type: f.type, body: Buffer.from(f.body).toString('hex') })));
    if (r.error) {
      expect(r.error).toBeInstanceOf(ConnbenchError);
      // Once failed, always failed, with the same error.
      expect(out.error === undefined || out.error === r.error.code).toBe(true);
      out.error = r.error.code;
    }
  }
  out.pendingBytes = d.pendingBytes;
  return out;
}

const frameArb = fc.record({ type: fc.integer({ min: FrameType.HELLO, max: FrameType.GAP }), body: fc.uint8Array({ maxLength: 200 }) });
const encode = (list: { type: number; body: Uint8Array }[]) =>
  Buffer.concat(list.map((f) => encodeFrame(f.type as FrameType, Buffer.from(f.body))));
const plain = (list: { type: number; body: Uint8Array }[]) =>
  list.map((f) => ({ type: f.type, body: Buffer.from(f.body).toString('hex') }));

/** Headers no peer may send: a zero length, one over the limit, an unknown type. */
const badHeader = fc.oneof(
  fc.constant(Buffer.from([0, 0, 0, 0])),
  fc.integer({ min: MAX_FRAME_LENGTH_BYTES + 1, max: 0xffffffff }).map((n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  }),
  fc
    .integer({ min: 0, max: 255 })
    .filter((t) => t < FrameType.HELLO || t > FrameType.GAP)
    .map((t) => Buffer.from([0, 0, 0, 1, t])),
);

describe('tcp framing properties', () => {
  it('decodes arbitrary frames identically however many times the stream is split', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 12 }), cutPoints(20), (list, cuts) => {
        const stream = encode(list);
        expect(decode(splitAt(stream, cuts))).toEqual({ frames: plain(list), error: undefined, pendingBytes: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the frames before a bad header, then fails with a typed error, whatever follows and however split', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 6 }),
        badHeader,
        fc.uint8Array({ maxLength: 64 }),
        cutPoints(),
        (good, bad, rest, cuts) => {
          const stream = Buffer.concat([encode(good), bad, Buffer.from(rest)]);
          const r = decode(splitAt(stream, cuts));
          expect(r.frames).toEqual(plain(good));
          expect(['CB_ERR_BAD_FRAME', 'CB_ERR_FRAME_TOO_LARGE']).toContain(r.error);
          expect(r.pendingBytes).toBe(0);
        },
      ),
    );
  });

  it('on a truncated stream returns the whole frames so far and holds the rest, without error or waiting', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), fc.nat(), cutPoints(), (list, at, cuts) => {
        const stream = encode(list);
        const prefix = stream.subarray(0, at % stream.length);
        let complete = 0;
        let used = 0;
        for (const f of list) {
          const size = 5 + f.body.length;
          if (used + size > prefix.length) break;
          used += size;
          complete++;
        }
        expect(decode(splitAt(prefix, cuts))).toEqual({
          frames: plain(list.slice(0, complete)),
          error: undefined,
          pendingBytes: prefix.length - used,
        });
      }),
    );
  });

  it('gives the same frames and the same error for arbitrary bytes, whole or split anyhow', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), cutPoints(), (bytes, cuts) => {
        const b = Buffer.from(bytes);
        const whole = decode([b]);
        const split = decode(splitAt(b, cuts));
        expect(split.frames).toEqual(whole.frames);
        expect(split.error).toEqual(whole.error);
      }),
      { numRuns: 300 },
    );
  });
});

describe('tcp protocol bodies properties', () => {
  it('round-trips a client HELLO with any cursor and user (an empty user reads as none)', () => {
    fc.assert(
      fc.property(fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: null }), anyText(20), (cursor, user) => {
        const frame = clientHelloFrame(cursor, user);
        const r = decode([frame]);
        expect(r.frames).toHaveLength(1);
        expect(parseClientHello(Buffer.from(r.frames[0]!.body, 'hex'))).toEqual({ cursor, user: user === '' ? undefined : user });
      }),
    );
  });

  it('never throws on arbitrary HELLO or GAP bodies: a value or { invalid }', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          anyText(40),
          fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString('latin1')),
        ),
        (text) => {
          const body = Buffer.from(text, 'utf8');
          const hello = parseClientHello(body);
          if ('invalid' in hello) expect(typeof hello.invalid).toBe('string');
          else expect(hello.cursor === null || (Number.isSafeInteger(hello.cursor) && hello.cursor >= 0)).toBe(true);
          const server = parseServerHello(body);
          expect(typeof server === 'number' ? server >= 0 : typeof server.invalid === 'string').toBe(true);
          const gap = parseGap(body);
          if ('invalid' in gap) expect(typeof gap.invalid).toBe('string');
          else expect(gap.fromSeq <= gap.toSeq).toBe(true);
        },
      ),
    );
  });
});
