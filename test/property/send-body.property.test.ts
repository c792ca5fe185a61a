import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { MAX_SEND_BODY_BYTES, parseSendBody, type SendBody, type SendError } from '../../src/models/sendBody.js';
import { readSendBody } from '../../src/server/sendRoute.js';
import { anyText, cutPoints, splitAt } from './chunking.js';

/** Feeds `chunks` to readSendBody as a request stream; resolves with every call of its callback. */
function read(chunks: Buffer[], contentLength?: number): Promise<(SendError | SendBody)[]> {
  const req = Readable.from(chunks, { objectMode: false }) as unknown as IncomingMessage;
  (req as { headers: Record<string, string> }).headers = contentLength === undefined ? {} : { 'content-length': String(contentLength) };
  const calls: (SendError | SendBody)[] = [];
  return new Promise((resolve) => {
    readSendBody(req, (err, body) => calls.push(err ?? body!));
    // 'close' comes after 'end' (and after an error): every callback has run by then.
    req.once('close', () => resolve(calls));
  });
}

const sendArb = fc.record(
  { from: anyText(10), to: anyText(10), t: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), body: anyText(80) },
  { requiredKeys: ['to', 't', 'body'] },
);

describe('chat send body properties', () => {
  it('round-trips any send a client builds', () => {
    fc.assert(
      fc.property(sendArb, (m) => {
        expect(parseSendBody(JSON.stringify(m))).toEqual(m);
      }),
    );
  });

  it('answers a send or a typed 400, never throws, for arbitrary text and near-miss JSON', () => {
    const nearMiss = fc
      .record({ from: fc.jsonValue(), to: fc.jsonValue(), t: fc.jsonValue(), body: fc.jsonValue() }, { requiredKeys: [] })
      .map((o) => JSON.stringify(o));
    fc.assert(
      fc.property(fc.oneof(anyText(80), fc.json(), nearMiss), (text) => {
        const r = parseSendBody(text);
        if ('status' in r) {
          expect(r.status).toBe(400);
          expect(['CB_ERR_BAD_JSON', 'CB_ERR_BAD_SEND']).toContain(r.code);
        } else expect(typeof r.to === 'string' && typeof r.t === 'number' && typeof r.body === 'string').toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('reads the same send however the request body is chunked, answering exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          sendArb.map((m) => JSON.stringify(m)),
          anyText(60),
        ),
        cutPoints(),
        async (text, cuts) => {
          const bytes = Buffer.from(text, 'utf8');
          const calls = await read(splitAt(bytes, cuts));
          expect(calls).toEqual([parseSendBody(text)]);
        },
      ),
    );
  });

  it('answers 413 exactly once to a body over the limit, declared or not, however chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4096 }), fc.boolean(), cutPoints(6), async (over, declare, cuts) => {
        const bytes = Buffer.alloc(MAX_SEND_BODY_BYTES + over, 0x78);
        const calls = await read(splitAt(bytes, cuts), declare ? bytes.length : undefined);
        expect(calls).toHaveLength(1);
        expect(calls[0]).toMatchObject({ status: 413, code: 'CB_ERR_TOO_LARGE' });
      }),
      { numRuns: 30 },
    );
  });
});
