import { describe, expect, it } from 'vitest';
import { encodePollBody, parsePollBody, type PollBody } from '../../src/models/long-poll/pollBody.js';
import { errorOfResponse } from '../../src/models/http/errorOfResponse.js';
import { MessageLog } from '../../src/server/messageLog.js';
import { ConnbenchError } from '../../src/util/errors.js';

function ok(text: string): PollBody {
  const r = parsePollBody(text);
  if (r instanceof ConnbenchError) throw new Error(`expected a body, got ${r.message}`);
  return r;
}

describe('pollBody', () => {
  it('parses a valid answer, dropping message bodies', () => {
    const b = ok('{"cursor":7,"messages":[{"seq":6,"t":100,"body":"xx"},{"seq":7,"t":101,"from":"u1","to":"u2","body":""}]}');
    expect(b).toEqual({
      cursor: 7,
      messages: [
        { seq: 6, t: 100 },
        { seq: 7, t: 101, from: 'u1', to: 'u2' },
      ],
    });
  });

  it('parses an empty answer and a gap', () => {
    expect(ok('{"cursor":0,"messages":[]}')).toEqual({ cursor: 0, messages: [] });
    expect(ok('{"cursor":30,"messages":[],"gap":{"fromSeq":1,"toSeq":20}}').gap).toEqual({ fromSeq: 1, toSeq: 20 });
  });

  it('round-trips what the server encodes from a log read', () => {
    const log = new MessageLog(10);
    for (let i = 0; i < 25; i++) log.append({ t: 1000 + i, body: 'p', ...(i % 2 ? { from: 'u1', to: 'u2' } : {}) });
    const read = log.readAfter(0, 'u2');
    const text = encodePollBody(read);
    expect(() => JSON.parse(text)).not.toThrow();
    const b = ok(text);
    expect(b.cursor).toBe(25);
    expect(b.gap).toEqual({ fromSeq: 1, toSeq: 15 });
    expect(b.messages.map((m) => m.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(ok(encodePollBody({ entries: [], cursor: 3 }))).toEqual({ cursor: 3, messages: [] });
  });

  it.each([
    ['empty', ''],
    ['not JSON', '{'],
    ['null', 'null'],
    ['an array', '[]'],
    ['a negative cursor', '{"cursor":-1,"messages":[]}'],
    ['a fractional cursor', '{"cursor":1.5,"messages":[]}'],
    ['no messages', '{"cursor":1}'],
    ['messages not an array', '{"cursor":1,"messages":{}}'],
    ['a message without seq', '{"cursor":1,"messages":[{"t":1}]}'],
    ['a message that is null', '{"cursor":1,"messages":[null]}'],
    ['a gap with strings', '{"cursor":1,"messages":[],"gap":{"fromSeq":"1","toSeq":2}}'],
    ['a backwards gap', '{"cursor":1,"messages":[],"gap":{"fromSeq":5,"toSeq":2}}'],
    ['a null gap', '{"cursor":1,"messages":[],"gap":null}'],
  ])('returns a typed error for %s', (_what, text) => {
    const r = parsePollBody(text);
    expect(r).toBeInstanceOf(ConnbenchError);
    expect((r as ConnbenchError).code).toBe('CB_ERR_BAD_POLL_BODY');
  });

  it('never throws on a body cut at any position', () => {
    const full = '{"cursor":12,"messages":[{"seq":11,"t":5,"body":"a"},{"seq":12,"t":6,"body":"b"}],"gap":{"fromSeq":1,"toSeq":10}}';
    for (let i = 0; i < full.length; i++) expect(parsePollBody(full.slice(0, i))).toBeInstanceOf(ConnbenchError);
    expect(ok(full).messages).toHaveLength(2);
  });

  it('maps error answers to the server code, or the status when there is none', () => {
    expect(errorOfResponse(400, '{"error":"CB_ERR_BAD_CURSOR","message":"bad"}').code).toBe('CB_ERR_BAD_CURSOR');
    expect(errorOfResponse(502, '<html>bad gateway</html>').code).toBe('CB_ERR_HTTP_502');
    expect(errorOfResponse(500, 'null').code).toBe('CB_ERR_HTTP_500');
  });
});
