import { describe, expect, it } from 'vitest';
import { HttpResponseDecoder, MAX_HEAD_BYTES, type ResponseHead } from '../../src/models/sse/httpResponse.js';

interface Decoded {
  heads: ResponseHead[];
  body: string;
  ended: number;
  error: string | undefined;
}

/** Feeds the chunks, then the connection's end when `close` is set. */
function decode(chunks: Uint8Array[], close = false): Decoded {
  const out: Decoded = { heads: [], body: '', ended: 0, error: undefined };
  const parts: Buffer[] = [];
  const d = new HttpResponseDecoder({
    onHead: (h) => out.heads.push(h),
    // Copied at once: the decoder hands out ranges of the pushed chunk.
    onBody: (b, start, end) => parts.push(Buffer.from(b.subarray(start, end))),
    onEnd: () => out.ended++,
  });
  for (const c of chunks) {
    const e = d.push(c);
    if (e) out.error = `${e.code}: ${e.message}`;
  }
  if (close) {
    const e = d.end();
    if (e) out.error = `${e.code}: ${e.message}`;
  }
  out.body = Buffer.concat(parts).toString('utf8');
  return out;
}

/** The result of every split of the bytes into two pieces, and into single bytes, must equal the whole. */
function expectSameAtEverySplit(bytes: Buffer, close = false): Decoded {
  const whole = decode([bytes], close);
  for (let i = 0; i <= bytes.length; i++) {
    expect(decode([bytes.subarray(0, i), bytes.subarray(i)], close), `split at byte ${i}`).toEqual(whole);
  }
  expect(
    decode(
      [...bytes].map((b) => Uint8Array.of(b)),
      close,
    ),
    'one byte at a time',
  ).toEqual(whole);
  return whole;
}

/** One chunk of a chunked body: its size in hex (upper case on purpose, as some servers write it). */
const chunk = (text: string, extension = '') => `${Buffer.byteLength(text).toString(16).toUpperCase()}${extension}\r\n${text}\r\n`;

const CHUNKED_STREAM = Buffer.from(
  [
    'HTTP/1.1 200 OK\r\n',
    'Content-Type: text/event-stream\r\n',
    'Cache-Control: no-cache\r\n',
    'Transfer-Encoding: chunked\r\n',
    '\r\n',
    chunk('retry: 100\nevent: hello\nid: 0\ndata: {"cursor":0}\n\n'),
    chunk(':\n\n', ';ext=1'),
    // Multi-byte characters whose bytes a chunk boundary may split.
    chunk('data: ü€😀\n\n'),
    '0\r\n',
    'X-Trailer: yes\r\n',
    '\r\n',
  ].join(''),
);

describe('HttpResponseDecoder', () => {
  it('decodes a chunked event stream with extensions and trailers, split anywhere', () => {
    const r = expectSameAtEverySplit(CHUNKED_STREAM);
    expect(r.error).toBeUndefined();
    expect(r.heads).toEqual([
      { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'transfer-encoding': 'chunked' } },
    ]);
    expect(r.body).toBe('retry: 100\nevent: hello\nid: 0\ndata: {"cursor":0}\n\n:\n\ndata: ü€😀\n\n');
    expect(r.ended).toBe(1);
  });

  it('reads chunk sizes of hex digits and CRLF alone from the bytes, as the regular path reads every other size line', () => {
    const body = (texts: string[], sizeLine: (text: string) => string) => texts.map((t) => `${sizeLine(t)}${t}\r\n`).join('') + '0\r\n\r\n';
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    const texts = ['id: 1\ndata: x\n\n', 'a'.repeat(0x1a), 'b'.repeat(0x100), 'ü€😀'];
    const hex = (t: string) => Buffer.byteLength(t).toString(16);
    // The plain lines (lower, upper case, leading zeros, all 8 digits) and the ones only the regular path reads.
    const sizeLines: ((t: string) => string)[] = [
      (t) => `${hex(t)}\r\n`,
      (t) => `${hex(t).toUpperCase()}\r\n`,
      (t) => `${hex(t).padStart(8, '0')}\r\n`,
      (t) => `${hex(t)}\n`,
      (t) => `${hex(t)} \t\r\n`,
      (t) => `${hex(t)};name=value\r\n`,
    ];
    for (const sizeLine of sizeLines) {
      const r = expectSameAtEverySplit(Buffer.from(head + body(texts, sizeLine)));
      expect(r, JSON.stringify(sizeLine('x'))).toMatchObject({ body: texts.join(''), ended: 1, error: undefined });
    }
  });

  it('refuses a size of more than 8 hex digits or one broken by a bare CR, split anywhere', () => {
    for (const sizeLine of ['000000001\r\n', '1\rx\r\n', '\r\n', 'g\r\n']) {
      const bytes = Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${sizeLine}x\r\n0\r\n\r\n`);
      const r = expectSameAtEverySplit(bytes);
      expect(r.error, JSON.stringify(sizeLine)).toMatch(/^CB_ERR_PROTOCOL: .*chunk size that is not hexadecimal/);
      expect(r.body).toBe('');
    }
  });

  it('reads a Content-Length body (an error answer) and stops there', () => {
    const json = '{"error":"CB_ERR_BAD_CURSOR","message":"cursor must be a non-negative integer, got \\"-1\\""}';
    const bytes = Buffer.from(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    );
    const r = expectSameAtEverySplit(bytes);
    expect(r).toMatchObject({ body: json, ended: 1, error: undefined });
    expect(r.heads[0]!.status).toBe(400);
  });

  it('reads until the connection closes when there is neither length nor chunking', () => {
    const r = expectSameAtEverySplit(Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: a\n\ndata: b\n\n'), true);
    expect(r).toMatchObject({ body: 'data: a\n\ndata: b\n\n', ended: 1, error: undefined });
  });

  it('skips an interim 1xx answer and ends an empty 204 at once', () => {
    const r = expectSameAtEverySplit(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n'));
    expect(r.heads).toEqual([{ status: 204, headers: { 'x-a': '1' } }]);
    expect(r).toMatchObject({ body: '', ended: 1, error: undefined });
  });

  it('reports a stream cut in the middle of its body or head when the connection ends', () => {
    const cut = CHUNKED_STREAM.subarray(0, CHUNKED_STREAM.indexOf('0\r\n'));
    expect(decode([cut], true)).toMatchObject({
      ended: 0,
      error: expect.stringMatching(/^CB_ERR_PROTOCOL: .*middle of the response body/),
    });
    expect(decode([Buffer.from('HTTP/1.1 200 OK\r\nContent-')], true).error).toMatch(/before a response head/);
    // A complete response then the end of the connection is no error.
    expect(decode([CHUNKED_STREAM], true).error).toBeUndefined();
  });

  it('refuses what is not an HTTP/1.x response, and keeps refusing', () => {
    const cases: [string, RegExp][] = [
      ['SSH-2.0-OpenSSH\r\n\r\n', /status line that is not HTTP/],
      ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /header line without a name/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n', /Content-Length that is not a number/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size that is not hexadecimal/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', /chunk data longer than its size/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\r\n', /a CR after chunk data without its LF/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab', /bytes after the end of the response/],
    ];
    for (const [text, why] of cases) {
      const errors: string[] = [];
      const d = new HttpResponseDecoder({ onHead: () => undefined, onBody: () => undefined, onEnd: () => undefined });
      for (const b of Buffer.from(text)) {
        const e = d.push(Uint8Array.of(b));
        if (e) errors.push(`${e.code}: ${e.message}`);
      }
      expect(errors[0], text).toMatch(why);
      expect(errors[0], text).toMatch(/^CB_ERR_PROTOCOL/);
      expect(d.push(Buffer.from('more'))?.code).toBe('CB_ERR_PROTOCOL');
    }
  });

  it('refuses a head that never ends instead of buffering it without bound', () => {
    const d = new HttpResponseDecoder({ onHead: () => undefined, onBody: () => undefined, onEnd: () => undefined });
    const line = Buffer.from(`X-Filler: ${'a'.repeat(1000)}\r\n`);
    let error: string | undefined;
    d.push(Buffer.from('HTTP/1.1 200 OK\r\n'));
    for (let i = 0; i * line.length <= MAX_HEAD_BYTES + line.length && !error; i++) error = d.push(line)?.message;
    expect(error).toMatch(/response head longer than/);
  });
});
