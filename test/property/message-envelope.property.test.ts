import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeEnvelope, decodeMessage, decodeMessageByJsonParse, encodeMessage } from '../../src/models/message.js';
import { encodePollBody, parsePollBody, parsePollBodyByJsonParse } from '../../src/models/long-poll/pollBody.js';
import { parseServerText } from '../../src/models/websocket/protocol.js';
import { decodeEnvelopeBytes, decodeMessageBytes } from '../../src/models/messageBytes.js';
import { anyText } from './chunking.js';

/**
 * The envelope read without JSON.parse (decodeEnvelope, and the poll answer built of it) must say
 * exactly what JSON.parse says, for every text: the messages encodeMessage writes (escapes and any
 * unicode included) and every mutation of them that could fool a hand-written reader.
 */

const wireMessage = fc.record({
  seq: fc.oneof(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(1, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e15, 1e16)),
  t: fc.oneof(fc.nat(), fc.constantFrom(0, 999_999_999_999_999, 1e16, 2 ** 60)),
  from: fc.option(anyText(8), { nil: undefined }),
  to: fc.option(anyText(8), { nil: undefined }),
  body: fc.oneof(anyText(60), fc.constant('x'.repeat(128)), fc.constantFrom('"', '\\', '\\"', '\u2028', '😀', '\u0000', '')),
});

/** Pieces that trip a reader by hand: quotes, escapes, whitespace, signs, exponents, braces, other keys. */
const piece = fc.constantFrom(
  '"',
  '\\',
  '\\u0041',
  '\\"',
  ' ',
  '\n',
  '\t',
  '-',
  '+',
  '.',
  'e',
  'E',
  '0',
  '00',
  '9',
  '}',
  '{',
  ',',
  ':',
  '[',
  ']',
  '"x":1',
  '"seq":',
  '"t":',
  '"body":"',
  '"from":"',
  '"to":"',
  'é',
  '😀',
  '\u0001',
  'null',
  'true',
);

/** A valid message with a few pieces inserted, replaced or removed anywhere. */
const mutated = fc.tuple(wireMessage, fc.array(fc.tuple(fc.nat(), fc.nat(3), piece), { maxLength: 4 })).map(([m, edits]) => {
  let s = encodeMessage(m);
  for (const [at, cut, p] of edits) {
    const i = at % (s.length + 1);
    s = s.slice(0, i) + p + s.slice(Math.min(s.length, i + cut));
  }
  return s;
});

function sameAsJsonParse(text: string): void {
  expect(decodeMessage(text)).toEqual(decodeMessageByJsonParse(text));
}

/** The bytes, between other bytes the reader must not look at, read in place as the text they decode to is read. */
function bytesSameAsText(bytes: Uint8Array, before: Uint8Array, after: Uint8Array): void {
  const b = Buffer.concat([before, bytes, after]);
  const text = Buffer.from(bytes).toString('utf8');
  expect(decodeEnvelopeBytes(b, before.length, before.length + bytes.length), text).toEqual(decodeEnvelope(text));
  expect(decodeMessageBytes(b, before.length, before.length + bytes.length), text).toEqual(decodeMessage(text));
}

/** Bytes around a range: often a message's own closing bytes, which must not complete a range that lacks them. */
const surrounding = fc.oneof(fc.uint8Array({ maxLength: 4 }), fc.constantFrom(Buffer.from('"}'), Buffer.from('}'), Buffer.from('0')));

/** Bytes no UTF-8 decoder keeps as they are: a lone continuation, a cut sequence, an overlong NUL or quote, a surrogate, past U+10FFFF, 0xFF. */
const invalidUtf8 = fc.constantFrom(
  ...[
    [0x80],
    [0xc3],
    [0xe2, 0x82],
    [0xf0, 0x9f, 0x98],
    [0xc0, 0x80],
    [0xc0, 0xa2],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xff],
  ].map((b) => Uint8Array.from(b)),
);

/** A message's UTF-8 with a few arbitrary bytes (invalid UTF-8 among them) inserted or replaced anywhere. */
const mutatedBytes = fc
  .tuple(
    mutated,
    fc.array(fc.tuple(fc.nat(), fc.nat(2), fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 3 }), invalidUtf8)), { maxLength: 3 }),
  )
  .map(([text, edits]) => {
    let b = Buffer.from(text);
    for (const [at, cut, bytes] of edits) {
      const i = at % (b.length + 1);
      b = Buffer.concat([b.subarray(0, i), bytes, b.subarray(Math.min(b.length, i + cut))]);
    }
    return b;
  });

describe('the message envelope without JSON.parse', () => {
  it('reads every message encodeMessage writes as JSON.parse does, and most of them without it', () => {
    let fast = 0;
    fc.assert(
      fc.property(wireMessage, (m) => {
        const text = encodeMessage(m);
        sameAsJsonParse(text);
        if (decodeEnvelope(text)) fast++;
      }),
      { numRuns: 3000 },
    );
    // Messages without escapes in their strings never reach JSON.parse (the generator makes a few hundred in 3000).
    expect(fast).toBeGreaterThan(100);
    expect(decodeEnvelope(encodeMessage({ seq: 7, t: 123, body: 'x'.repeat(128) }))).toEqual({ seq: 7, t: 123 });
    expect(decodeEnvelope(encodeMessage({ seq: 7, t: 1, from: 'u1', to: 'u2', body: 'é😀' }))).toEqual({
      seq: 7,
      t: 1,
      from: 'u1',
      to: 'u2',
    });
  });

  it('agrees with JSON.parse on every mutation of a message: escapes, whitespace, numbers, keys, unicode, trailing bytes', () => {
    fc.assert(fc.property(mutated, sameAsJsonParse), { numRuns: 20_000 });
  });

  it('leaves whatever it does not read exactly to JSON.parse', () => {
    for (const text of [
      '{"seq":1,"t":2,"body":"a\\u0041"}',
      '{"seq":1,"t":2,"body":"a"} ',
      '{"seq":01,"t":2,"body":"a"}',
      '{"seq":1,"t":2.5,"body":"a"}',
      '{"seq":1,"t":-2,"body":"a"}',
      '{"seq":1,"t":2,"body":"a","body":"b"}',
      '{"seq":1,"seq":2,"t":2,"body":"a"}',
      '{"seq":1234567890123456,"t":2,"body":"a"}',
      '{"seq":0,"t":2,"body":"a"}',
      '{ "seq":1,"t":2,"body":"a"}',
    ]) {
      expect(decodeEnvelope(text), text).toBeUndefined();
      sameAsJsonParse(text);
    }
  });

  it('reads a message from its bytes in place as from its text, for any bytes, valid UTF-8 or not', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          wireMessage.map((m) => Buffer.from(encodeMessage(m))),
          mutatedBytes,
          fc.uint8Array({ maxLength: 40 }),
        ),
        surrounding,
        surrounding,
        bytesSameAsText,
      ),
      { numRuns: 20_000 },
    );
    const text = encodeMessage({ seq: 7, t: 1, from: 'u1', to: 'ü2', body: 'é😀' });
    expect(decodeEnvelopeBytes(Buffer.from(`xx${text}yy`), 2, 2 + Buffer.byteLength(text))).toEqual({ seq: 7, t: 1, from: 'u1', to: 'ü2' });
    // A range that stops short of its closing brace is not a message, whatever follows it.
    const cut = Buffer.from(encodeMessage({ seq: 7, t: 1, body: 'x' }));
    expect(decodeEnvelopeBytes(cut, 0, cut.length - 1)).toBeUndefined();
    expect(decodeEnvelopeBytes(cut, 0, cut.length - 2)).toBeUndefined();
  });

  it('a poll answer and a websocket frame read the same with or without JSON.parse', () => {
    fc.assert(
      fc.property(fc.array(wireMessage, { maxLength: 6 }), fc.nat(1e9), fc.option(mutated, { nil: undefined }), (ms, cursor, odd) => {
        const entries = ms.map((m, i) => ({ seq: i + 1, t: m.t, json: encodeMessage({ ...m, seq: i + 1 }) }));
        const body = encodePollBody({ entries: odd ? [...entries, { seq: 99, t: 0, json: odd }] : entries, cursor });
        expect(parsePollBody(body)).toEqual(parsePollBodyByJsonParse(body));
        for (const e of entries) expect(parseServerText(e.json)).toEqual({ type: 'message', message: decodeMessageByJsonParse(e.json) });
      }),
      { numRuns: 2000 },
    );
  });
});
