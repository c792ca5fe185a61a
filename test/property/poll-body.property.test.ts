import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodePollBody, parsePollBody } from '../../src/models/long-poll/pollBody.js';
import { encodeMessage, type Incoming } from '../../src/models/message.js';
import type { LogEntry } from '../../src/models/log.js';
import { ConnbenchError } from '../../src/util/errors.js';
import { anyText, cutPoints, splitAt } from './chunking.js';

interface Answer {
  entries: LogEntry[];
  cursor: number;
  gap?: { fromSeq: number; toSeq: number };
}

const seqT = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

/** A poll answer as the server builds it: ascending seqs, each entry's JSON encoded once. */
const answerArb: fc.Arbitrary<{ answer: Answer; messages: Incoming[] }> = fc
  .record({
    start: fc.integer({ min: 0, max: 1e9 }),
    msgs: fc.array(
      fc.record({
        step: fc.integer({ min: 1, max: 5 }),
        t: seqT,
        from: fc.option(anyText(8), { nil: undefined }),
        to: fc.option(anyText(8), { nil: undefined }),
        body: anyText(40),
      }),
      { maxLength: 10 },
    ),
    gap: fc.option(fc.record({ fromSeq: fc.integer({ min: 1, max: 1e6 }), length: fc.nat(1e6) }), { nil: undefined }),
    extra: fc.nat(10),
  })
  .map(({ start, msgs, gap, extra }) => {
    let seq = start;
    const entries: LogEntry[] = [];
    const messages: Incoming[] = [];
    for (const m of msgs) {
      seq += m.step;
      const wire = {
        seq,
        t: m.t,
        body: m.body,
        ...(m.from !== undefined ? { from: m.from } : {}),
        ...(m.to !== undefined ? { to: m.to } : {}),
      };
      entries.push({ seq, t: m.t, json: encodeMessage(wire) });
      const { body: _b, ...kept } = wire;
      messages.push(kept);
    }
    const answer: Answer = { entries, cursor: seq + extra };
    if (gap) answer.gap = { fromSeq: gap.fromSeq, toSeq: gap.fromSeq + gap.length };
    return { answer, messages };
  });

/** What undici's body.text() does with the chunks of a body: one streaming UTF-8 decode. */
function readChunks(chunks: Buffer[]): string {
  const decoder = new TextDecoder();
  return chunks.map((c) => decoder.decode(c, { stream: true })).join('') + decoder.decode();
}

describe('poll body properties', () => {
  it('round-trips every answer the server encodes, however its bytes arrive', () => {
    fc.assert(
      fc.property(answerArb, cutPoints(), ({ answer, messages }, cuts) => {
        const text = encodePollBody(answer);
        const expected = { cursor: answer.cursor, messages, ...(answer.gap ? { gap: answer.gap } : {}) };
        expect(parsePollBody(text)).toEqual(expected);
        expect(parsePollBody(readChunks(splitAt(Buffer.from(text, 'utf8'), cuts)))).toEqual(expected);
      }),
    );
  });

  it('answers a typed CB_ERR_BAD_POLL_BODY, never throws, for any body that is cut short', () => {
    fc.assert(
      fc.property(answerArb, fc.nat(), ({ answer }, at) => {
        const text = encodePollBody(answer);
        const r = parsePollBody(text.slice(0, at % text.length));
        expect(r).toBeInstanceOf(ConnbenchError);
        expect((r as ConnbenchError).code).toBe('CB_ERR_BAD_POLL_BODY');
      }),
    );
  });

  it('answers a body or a typed error, never throws, for arbitrary text and JSON', () => {
    const nearMiss = fc
      .record(
        {
          cursor: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
          messages: fc.array(fc.jsonValue(), { maxLength: 3 }),
          gap: fc.jsonValue(),
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o));
    fc.assert(
      fc.property(fc.oneof(anyText(80), fc.json(), nearMiss), (text) => {
        const r = parsePollBody(text);
        if (r instanceof ConnbenchError) expect(r.code).toBe('CB_ERR_BAD_POLL_BODY');
        else {
          expect(Number.isSafeInteger(r.cursor) && r.cursor >= 0).toBe(true);
          for (const m of r.messages) expect(Number.isSafeInteger(m.seq) && m.seq >= 1).toBe(true);
          if (r.gap) expect(r.gap.fromSeq >= 1 && r.gap.fromSeq <= r.gap.toSeq).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
