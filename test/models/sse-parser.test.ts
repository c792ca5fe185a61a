import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../../src/models/sse/parser.js';

interface Parsed {
  events: SseEvent[];
  comments: string[];
  retries: number[];
}

function parse(chunks: (string | Uint8Array)[]): Parsed {
  const out: Parsed = { events: [], comments: [], retries: [] };
  const p = new SseParser({
    onEvent: (e) => out.events.push(e),
    onComment: (c) => out.comments.push(c),
    onRetry: (ms) => out.retries.push(ms),
  });
  for (const c of chunks) p.feed(c);
  p.end();
  return out;
}

/** Everything a server (or a hostile one) might send, with all three line endings. */
const STREAM = [
  'retry: 100\n',
  'event: hello\nid: 0\ndata: {"cursor":0}\n\n',
  'id: 1\ndata: {"seq":1,"t":5,"body":"xx"}\n\n',
  ':\n\n',
  'event: gap\ndata: {"fromSeq":2,"toSeq":4}\n\n',
  'id: 5\r\ndata: line one\r\ndata: line two\r\n\r\n',
  ': a comment\r\r',
  'data: cr one\rdata: cr two\r\r',
  'id: 7\r\nevent: chat\r\ndata: ü € 😀 multibyte\n\n',
  'data:no space\n\n',
  'data:  two spaces\n\n',
  'data\n\n',
  'event: no data\n\n',
  'id: a\0b\ndata: nul id ignored\n\n',
  'retry: 10a\n',
  'retry: 2500\r\n',
  'unknown: x\ndata: after unknown\n\n',
  'id\ndata: empty id\n\n',
  'data: never dispatched',
].join('');

const EXPECTED_EVENTS: SseEvent[] = [
  { type: 'hello', data: '{"cursor":0}', lastEventId: '0' },
  { type: 'message', data: '{"seq":1,"t":5,"body":"xx"}', lastEventId: '1' },
  { type: 'gap', data: '{"fromSeq":2,"toSeq":4}', lastEventId: '1' },
  { type: 'message', data: 'line one\nline two', lastEventId: '5' },
  { type: 'message', data: 'cr one\ncr two', lastEventId: '5' },
  { type: 'chat', data: 'ü € 😀 multibyte', lastEventId: '7' },
  { type: 'message', data: 'no space', lastEventId: '7' },
  { type: 'message', data: ' two spaces', lastEventId: '7' },
  { type: 'message', data: '', lastEventId: '7' },
  { type: 'message', data: 'nul id ignored', lastEventId: '7' },
  { type: 'message', data: 'after unknown', lastEventId: '7' },
  { type: 'message', data: 'empty id', lastEventId: '' },
];

describe('SseParser', () => {
  const bytes = Buffer.from(STREAM, 'utf8');
  const whole = parse([bytes]);

  it('parses a realistic stream per the WHATWG rules', () => {
    expect(whole.events).toEqual(EXPECTED_EVENTS);
    expect(whole.comments).toEqual(['', ' a comment']);
    expect(whole.retries).toEqual([100, 2500]);
    expect(parse([STREAM])).toEqual(whole);
  });

  it('gives the same result split at every byte position', () => {
    for (let i = 0; i <= bytes.length; i++) {
      expect(parse([bytes.subarray(0, i), bytes.subarray(i)]), `split at byte ${i}`).toEqual(whole);
    }
  });

  it('gives the same result split at every character position of a string', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parse([STREAM.slice(0, i), STREAM.slice(i)]), `split at char ${i}`).toEqual(whole);
    }
  });

  it('gives the same result fed one byte at a time', () => {
    const single = [...bytes].map((b) => Uint8Array.of(b));
    expect(parse(single)).toEqual(whole);
  });

  it('treats CR then LF in the next chunk as one line end, and CR then CR as two', () => {
    expect(parse(['data: a\r', '\n', '\r', '\n']).events).toEqual([{ type: 'message', data: 'a', lastEventId: '' }]);
    expect(parse(['data: a\r', '\r']).events).toEqual([{ type: 'message', data: 'a', lastEventId: '' }]);
    // Were the LF a line end of its own, this would be two events, not one with two lines.
    expect(parse(['data: a\r', '\ndata: b\n\n']).events).toEqual([{ type: 'message', data: 'a\nb', lastEventId: '' }]);
  });

  it('strips one leading BOM, also when its bytes are split', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: x\n\n')]);
    const expected = [{ type: 'message', data: 'x', lastEventId: '' }];
    expect(parse([withBom]).events).toEqual(expected);
    expect(parse([...withBom].map((b) => Uint8Array.of(b))).events).toEqual(expected);
    expect(parse(['\uFEFFdata: x\n\n']).events).toEqual(expected);
  });

  it('keeps a second BOM, which then spoils the first field name', () => {
    expect(parse(['\uFEFF\uFEFFdata: x\n\n']).events).toEqual([]);
    // A BOM later in the stream is not at its start: it stays part of the line.
    expect(parse(['data: a\n\n', '\uFEFFdata: b\n\n']).events).toEqual([{ type: 'message', data: 'a', lastEventId: '' }]);
  });

  it('reads a byte range in place, whatever lies around it, split at every byte position', () => {
    // Line ends and a field just outside the range: a search that ran past its end would take them.
    const around = (inner: Buffer) => Buffer.concat([Buffer.from('data: before\r\n'), inner, Buffer.from('\r\ndata: after\n\n')]);
    const rangeOf = (b: Buffer, from: number, to: number) => ({ b: around(b.subarray(from, to)), start: 14, end: 14 + to - from });
    for (let i = 0; i <= bytes.length; i++) {
      const out: Parsed = { events: [], comments: [], retries: [] };
      const p = new SseParser({
        onEvent: (e) => out.events.push(e),
        onComment: (c) => out.comments.push(c),
        onRetry: (ms) => out.retries.push(ms),
      });
      for (const r of [rangeOf(bytes, 0, i), rangeOf(bytes, i, bytes.length)]) p.feedBytes(r.b, r.start, r.end);
      p.end();
      expect(out, `split at byte ${i}`).toEqual(whole);
    }
  });

  it('acts on the four field names only, spelled exactly, in bytes as in text', () => {
    const names = [
      'dat',
      'datas',
      'Data',
      'datA',
      'i',
      'ids',
      'ID',
      'iD',
      'even',
      'Event',
      'evenT',
      'events',
      'retr',
      'Retry',
      'retrY',
      'retrys',
      'dàta',
    ];
    const text = `${names.map((n) => `${n}: 1\n`).join('')}data: kept\n\n`;
    const expected = { events: [{ type: 'message', data: 'kept', lastEventId: '' }], comments: [], retries: [] };
    expect(parse([Buffer.from(text)])).toEqual(expected);
    expect(parse([text])).toEqual(expected);
  });

  it('ignores an id containing NUL and keeps the previous one', () => {
    const p = parse(['id: 3\ndata: a\n\nid: 4\0\ndata: b\n\n']);
    expect(p.events.map((e) => e.lastEventId)).toEqual(['3', '3']);
  });

  it('with ids: false, ignores every id line and gives the same events otherwise, from text and bytes', () => {
    const stream = 'id: 3\nevent: x\ndata: a\n\nid\ndata: b\ndata: c\n\nid: 4\n: note\ndata: d\n\n';
    const run = (ids: boolean, asBytes: boolean) => {
      const events: SseEvent[] = [];
      const p = new SseParser({ onEvent: (e) => events.push(e) }, { ids });
      if (asBytes) p.feed(Buffer.from(stream));
      else p.feed(stream);
      return { events, lastEventId: p.lastEventId };
    };
    const withIds = run(true, true);
    expect(withIds.events.map((e) => e.lastEventId)).toEqual(['3', '', '4']);
    for (const asBytes of [true, false]) {
      const without = run(false, asBytes);
      expect(without.events).toEqual(withIds.events.map((e) => ({ ...e, lastEventId: '' })));
      expect(without.lastEventId).toBe('');
    }
  });

  it('discards an unfinished event at the end of a stream and starts the next one clean', () => {
    const events: SseEvent[] = [];
    const p = new SseParser({ onEvent: (e) => events.push(e) });
    p.feed('id: 9\nevent: x\ndata: partial\n');
    p.end();
    p.feed('\uFEFFdata: next\n\n');
    expect(events).toEqual([{ type: 'message', data: 'next', lastEventId: '9' }]);
    expect(p.lastEventId).toBe('9');
  });
});

describe('SseParser UTF-8 decoding', () => {
  // Valid 2-, 3- and 4-byte sequences, then invalid ones: a lone continuation byte, an overlong
  // lead, a truncated sequence before ASCII, a lead byte that is never valid, and a truncated tail.
  const DATA = Buffer.concat([
    Buffer.from('data: ü € 😀 '),
    Buffer.from([0x80, 0x20, 0xc0, 0xaf, 0x20, 0xe2, 0x82, 0x41, 0x20, 0xf8, 0x20, 0xf0, 0x9f, 0x98]),
    Buffer.from('\n\n'),
  ]);

  it('decodes every split of multi-byte and invalid sequences as the whole bytes decode', () => {
    const data = new TextDecoder('utf-8', { ignoreBOM: true }).decode(DATA.subarray('data: '.length, DATA.length - 2));
    const expected = [{ type: 'message', data, lastEventId: '' }];
    expect(parse([DATA]).events).toEqual(expected);
    for (let i = 0; i <= DATA.length; i++) {
      for (let j = i; j <= DATA.length; j++) {
        expect(parse([DATA.subarray(0, i), DATA.subarray(i, j), DATA.subarray(j)]).events, `split at ${i} and ${j}`).toEqual(expected);
      }
    }
  });
});

describe('SseParser limit: what it holds for an unfinished line and an event is bounded', () => {
  function limited(limit: number) {
    const out = { events: [] as SseEvent[], tooLarge: [] as number[] };
    const p = new SseParser({ onEvent: (e) => out.events.push(e), onTooLarge: (l) => out.tooLarge.push(l) }, { limit });
    return { p, out };
  }

  it('passes a stream whose lines and events are within the limit, in bytes split anywhere and in text', () => {
    const stream = 'data: 0123456789\n\ndata: abcdefghij\ndata: klm\n\n';
    // At most held at once: the event's first line (10) and the unfinished second ('data: klm', 9).
    for (let cut = 0; cut <= stream.length; cut++) {
      const { p, out } = limited(19);
      p.feed(Buffer.from(stream.slice(0, cut)));
      p.feed(Buffer.from(stream.slice(cut)));
      expect(
        out.events.map((e) => e.data),
        `cut ${cut}`,
      ).toEqual(['0123456789', 'abcdefghij\nklm']);
      expect(out.tooLarge).toEqual([]);
    }
    const { p, out } = limited(19);
    p.feed(stream);
    expect(out.events).toHaveLength(2);
    const tight = limited(18);
    for (let i = 0; i < stream.length; i++) tight.p.feed(Buffer.from(stream.slice(i, i + 1)));
    expect(tight.out.tooLarge).toEqual([18]);
  });

  it('stops once an unfinished line passes the limit, fed as bytes or as text, and ignores the rest until end()', () => {
    for (const asBytes of [true, false]) {
      const { p, out } = limited(100);
      const chunk = 'data: ' + 'x'.repeat(60);
      p.feed(asBytes ? Buffer.from(chunk) : chunk);
      expect(out.tooLarge).toEqual([]);
      p.feed(asBytes ? Buffer.from(chunk) : chunk);
      expect(out.tooLarge).toEqual([100]);
      p.feed(asBytes ? Buffer.from('\n\ndata: after\n\n') : '\n\ndata: after\n\n');
      expect(out.events).toEqual([]);
      expect(out.tooLarge).toEqual([100]);
      p.end();
      p.feed(asBytes ? Buffer.from('data: next stream\n\n') : 'data: next stream\n\n');
      expect(out.events.map((e) => e.data)).toEqual(['next stream']);
    }
  });

  it('stops once an event gathers more data lines than the limit, each line short', () => {
    const { p, out } = limited(100);
    p.feed(Buffer.from('data: 0123456789\n'.repeat(9)));
    expect(out.tooLarge).toEqual([]);
    p.feed(Buffer.from('data: 0123456789\n'.repeat(2) + '\n'));
    expect(out.tooLarge).toEqual([100]);
    expect(out.events).toEqual([]);
  });
});
