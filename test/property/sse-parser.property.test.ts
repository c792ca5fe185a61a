import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SseParser, type SseEvent } from '../../src/models/sse/parser.js';
import { decodeMessage, encodeMessage, type WireMessage } from '../../src/models/message.js';
import { anyText, cutPoints, splitAt, splitStringAt, trickyBytes } from './chunking.js';

interface Parsed {
  events: SseEvent[];
  comments: string[];
  retries: number[];
  tooLarge: number[];
  lastEventId: string;
}

/** How many events took the in-place path: the properties below must not hold by never taking it. */
let inPlaceEvents = 0;

/**
 * `inPlace`: with an onMessageBytes handler, as the lean client parses, each message event's bytes
 * turned into the event onEvent would have had; the result must not tell the two apart.
 */
function parse(chunks: (string | Uint8Array)[], inPlace = false, limit?: number): Parsed {
  const out: Parsed = { events: [], comments: [], retries: [], tooLarge: [], lastEventId: '' };
  const p: SseParser = new SseParser(
    {
      onEvent: (e) => out.events.push(e),
      onComment: (c) => out.comments.push(c),
      onRetry: (ms) => out.retries.push(ms),
      onTooLarge: (l) => out.tooLarge.push(l),
      ...(inPlace
        ? {
            onMessageBytes: (bytes: Buffer, start: number, end: number) => {
              inPlaceEvents++;
              out.events.push({ type: 'message', data: bytes.toString('utf8', start, end), lastEventId: p.lastEventId });
            },
          }
        : {}),
    },
    limit === undefined ? {} : { limit },
  );
  for (const c of chunks) p.feed(c);
  out.lastEventId = p.lastEventId;
  p.end();
  return out;
}

/** A field value: anything but the line ends that would end it. */
const value = (maxLength = 30) => anyText(maxLength).map((s) => s.replace(/[\r\n]/g, ''));
const lineEnd = fc.constantFrom('\n', '\r', '\r\n');

interface GenEvent {
  type: string | undefined;
  id: string | undefined;
  data: string[];
  comment: string | undefined;
  ends: string[];
}

const eventArb: fc.Arbitrary<GenEvent> = fc.record({
  // A name that is empty dispatches as "message", as does no name.
  type: fc.option(value(12), { nil: undefined }),
  id: fc.option(
    value(12).map((s) => s.replace(/\0/g, '')),
    { nil: undefined },
  ),
  data: fc.array(value(), { minLength: 1, maxLength: 4 }),
  comment: fc.option(value(12), { nil: undefined }),
  ends: fc.array(lineEnd, { minLength: 8, maxLength: 8 }),
});

/** Serialises events the way any conforming server may: each line with its own line end. */
function serialise(events: GenEvent[]): { text: string; expected: SseEvent[] } {
  let text = '';
  let lastId = '';
  const expected: SseEvent[] = [];
  for (const e of events) {
    let k = 0;
    let previous = '';
    const end = () => (previous = e.ends[k++ % e.ends.length]!);
    if (e.comment !== undefined) text += `:${e.comment}${end()}`;
    if (e.type !== undefined) text += `event: ${e.type}${end()}`;
    if (e.id !== undefined) {
      text += `id: ${e.id}${end()}`;
      lastId = e.id;
    }
    for (const d of e.data) text += `data: ${d}${end()}`;
    // The blank line that dispatches: an LF right after a CR would join it into one CRLF line end.
    const before = previous;
    const dispatch = end();
    text += before === '\r' && dispatch === '\n' ? '\r\n' : dispatch;
    expected.push({ type: e.type || 'message', data: e.data.join('\n'), lastEventId: lastId });
  }
  return { text, expected };
}

describe('SseParser properties', () => {
  it('parses arbitrary events, with any line ends, identically however the bytes or characters are split', () => {
    inPlaceEvents = 0;
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 8 }), cutPoints(), (events, cuts) => {
        const { text, expected } = serialise(events);
        const bytes = Buffer.from(text, 'utf8');
        expect(parse([bytes]).events).toEqual(expected);
        expect(parse(splitAt(bytes, cuts)).events).toEqual(expected);
        expect(parse([bytes], true).events).toEqual(expected);
        expect(parse(splitAt(bytes, cuts), true).events).toEqual(expected);
        expect(parse(splitStringAt(text, cuts)).events).toEqual(expected);
      }),
    );
    expect(inPlaceEvents).toBeGreaterThan(0);
  });

  it('never throws on arbitrary bytes, and gives the same result whole, split anyhow, or byte by byte', () => {
    const pieces: (string | number[])[] = [
      'data: a',
      'id: 1',
      'event: e',
      'retry: 5',
      'data',
      'id',
      'event',
      'retry',
      ':',
      ' ',
      '\n',
      '\r',
      '\r\n',
      'event: message',
      'event:message',
      'x',
      '12',
      'é',
      '😀',
      '\uFEFF',
      '\0',
      [0xff],
      [0xc3],
      [0xe2, 0x82],
      [0xf0, 0x9f, 0x98],
      [0x80],
      [0xed, 0xa0, 0x80],
      [0xc0, 0xaf],
    ];
    fc.assert(
      fc.property(
        fc.oneof(
          trickyBytes(pieces),
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
        ),
        cutPoints(),
        (bytes, cuts) => {
          const whole = parse([bytes]);
          expect(parse(splitAt(bytes, cuts))).toEqual(whole);
          expect(parse([...bytes].map((b) => Uint8Array.of(b)))).toEqual(whole);
          expect(parse([bytes], true)).toEqual(whole);
          expect(parse(splitAt(bytes, cuts), true)).toEqual(whole);
          // What a browser would make of the same bytes: one decode of the whole stream.
          expect(parse([new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)])).toEqual(whole);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stops at the same place with or without onMessageBytes, whatever the limit, counted in characters', () => {
    inPlaceEvents = 0;
    // Multi-byte characters make a line's bytes outnumber its characters: the limit counts characters.
    const line = fc.tuple(
      fc.constantFrom('data: ', 'data:', 'data', 'event: e', 'event: message', 'id: 1', ':'),
      fc.array(fc.constantFrom('x', 'é', '😀', '€'), { maxLength: 12 }),
      fc.constantFrom('\n', '\r', '\r\n'),
    );
    const stream = fc
      .array(
        fc.oneof(
          line.map(([k, v, eol]) => k + v.join('') + eol),
          fc.constant('\n'),
        ),
        { maxLength: 12 },
      )
      .map((ls) => Buffer.from(ls.join('')));
    fc.assert(
      fc.property(stream, fc.integer({ min: 0, max: 40 }), cutPoints(), (bytes, limit, cuts) => {
        const chunks = splitAt(bytes, cuts);
        expect(parse(chunks, true, limit)).toEqual(parse(chunks, false, limit));
      }),
      { numRuns: 2000 },
    );
    expect(inPlaceEvents).toBeGreaterThan(0);
  });

  it('only reports a retry made of ASCII digits, and only dispatches events that had data', () => {
    fc.assert(
      fc.property(value(8), (v) => {
        const p = parse([`retry: ${v}\n\nevent: x\n\n`]);
        expect(p.retries).toEqual(/^[0-9]+$/.test(v) ? [Number(v)] : []);
        expect(p.events).toEqual([]);
      }),
    );
  });
});

describe('message bodies carried in events (decodeMessage)', () => {
  const wire: fc.Arbitrary<WireMessage> = fc.record(
    {
      seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      t: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      from: anyText(10),
      to: anyText(10),
      body: anyText(60),
    },
    { requiredKeys: ['seq', 't', 'body'] },
  );

  it('round-trips every message the server encodes, dropping only the body', () => {
    fc.assert(
      fc.property(wire, (m) => {
        const { body: _body, ...kept } = m;
        expect(decodeMessage(encodeMessage(m))).toEqual(kept);
      }),
    );
  });

  it('answers undefined, never throws, for anything that is not a message', () => {
    fc.assert(
      fc.property(fc.oneof(anyText(60), fc.json()), (text) => {
        const m = decodeMessage(text);
        if (m !== undefined) {
          expect(Number.isSafeInteger(m.seq) && m.seq >= 1).toBe(true);
          expect(typeof m.t).toBe('number');
        }
      }),
    );
  });
});
