import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Writable } from 'node:stream';
import * as ws from 'ws';
import { gapText, helloText, parseClientText, parseControl, sendText, textFrame } from '../../src/models/websocket/protocol.js';
import { anyText, cutPoints, splitAt } from './chunking.js';

// ws exports its Receiver, but @types/ws does not declare it.
const { Receiver } = ws as unknown as { Receiver: new (o: { isServer: boolean; maxPayload?: number }) => Writable };

/** Decodes server frames with ws's own receiver, as the client does, fed in the given chunks. */
function receive(chunks: Buffer[]): string[] {
  const texts: string[] = [];
  const receiver = new Receiver({ isServer: false, maxPayload: 0 });
  receiver.on('message', (data: Buffer, isBinary: boolean) => texts.push(isBinary ? '<binary>' : data.toString('utf8')));
  receiver.on('error', (err: Error) => texts.push(`<error ${err.message}>`));
  for (const c of chunks) receiver.write(c);
  return texts;
}

/** Payloads around every header-size boundary (125/126 and 65535/65536 bytes) and small ones. */
const payload = fc.oneof(
  { weight: 4, arbitrary: anyText(60) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(124, 125, 126, 127, 65534, 65535, 65536, 65537), anyText(3))
      .map(([n, tail]) => 'x'.repeat(n) + tail),
  },
);

describe('websocket protocol properties', () => {
  it('our server frames carry any payloads, in any number, to ws however the stream is split', () => {
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 5 }), cutPoints(), (texts, cuts) => {
        const stream = Buffer.concat(texts.map(textFrame));
        expect(receive(splitAt(stream, cuts))).toEqual(texts);
      }),
      { numRuns: 150 },
    );
  });

  it('round-trips a chat send and the control frames', () => {
    const seq = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(anyText(10), seq, anyText(60), seq, seq, (to, t, body, a, b) => {
        expect(parseClientText(sendText({ to, t, body }))).toEqual({ to, t, body });
        expect(parseControl(JSON.parse(helloText(a)) as object)).toEqual({ type: 'hello', cursor: a });
        const gap = { fromSeq: Math.min(a, b), toSeq: Math.max(a, b) };
        expect(parseControl(JSON.parse(gapText(gap)) as object)).toEqual({ type: 'gap', gap });
      }),
    );
  });

  it('answers a send or { invalid }, never throws, for any client text and any control object', () => {
    const sendish = fc.record(
      {
        type: fc.constantFrom('send', 'hello', 'gap', 5),
        to: fc.jsonValue(),
        t: fc.jsonValue(),
        body: fc.jsonValue(),
        from: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          anyText(60),
          fc.json(),
          sendish.map((o) => JSON.stringify(o)),
        ),
        (text) => {
          const r = parseClientText(text);
          if ('invalid' in r) expect(typeof r.invalid).toBe('string');
          else expect(typeof r.to === 'string' && typeof r.t === 'number' && typeof r.body === 'string').toBe(true);
        },
      ),
      { numRuns: 300 },
    );
    const controlish = fc.record(
      {
        type: fc.oneof(fc.constantFrom('hello', 'gap'), fc.jsonValue()),
        cursor: fc.jsonValue(),
        fromSeq: fc.jsonValue(),
        toSeq: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(controlish, (o) => {
        const c = parseControl(o as Parameters<typeof parseControl>[0]);
        if ('invalid' in c) expect(typeof c.invalid).toBe('string');
        else if (c.type === 'gap') expect(c.gap.fromSeq <= c.gap.toSeq).toBe(true);
        else expect(Number.isSafeInteger(c.cursor) && c.cursor >= 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
