// @ts-check
/**
 * The lean SSE client's decoding cost per event, without sockets: the bytes the reference server
 * writes for a broadcast (20,000 messages of 128 B padding, each its own HTTP chunk, in 64 KiB
 * reads) through HttpResponseDecoder, SseParser and messageOfBytes (each message's data read in
 * place, onMessageBytes), as LeanSseClient wires them. CPU time of this process per event, over 30
 * passes after 20 of warm-up. On a 2-vCPU machine shared with other work the figure can double
 * while the other vCPU is busy: take the lowest of a few runs, and compare two builds run by turns.
 * Run after `npm run build`:
 *   node bench/micro/sseDecode.mjs
 */
import { HttpResponseDecoder } from '../../dist/models/sse/httpResponse.js';
import { SseParser } from '../../dist/models/sse/parser.js';
import * as eventData from '../../dist/models/sse/eventData.js';
import { httpChunk } from '../../dist/models/sse/server.js';
import { messageFrame } from '../../dist/models/sse/frames.js';
import { encodeMessage, paddingOf } from '../../dist/models/message.js';
import { printDecodeCost, readsOf } from './decodeCost.mjs';

const MESSAGES = 20_000;
const head = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
const frames = [];
for (let seq = 1; seq <= MESSAGES; seq++) {
  const t = 1e10 + seq;
  frames.push(httpChunk(messageFrame({ seq, t, json: encodeMessage({ seq, t, body: paddingOf(128) }) })));
}
const reads = readsOf(Buffer.concat([head, ...frames]));

printDecodeCost('events', (count) => {
  /** @type {SseParser | undefined} */
  let parser;
  /** @param {import('../../dist/models/message.js').Incoming | Error} m */
  const counted = (m) => void (m instanceof Error || count(m.seq));
  const sink = {
    /** @param {import('../../dist/models/sse/parser.js').SseEvent} e */
    onEvent: (e) => counted(eventData.messageOf(e.data)),
    // Only where the build reads events in place, so that an older build can be run by turns with this one.
    ...('messageOfBytes' in eventData
      ? {
          /** @param {Buffer} bytes @param {number} start @param {number} end */
          onMessageBytes: (bytes, start, end) => counted(/** @type {any} */ (eventData).messageOfBytes(bytes, start, end)),
        }
      : {}),
  };
  const decoder = new HttpResponseDecoder({
    // As the lean client makes it: it resumes from its own cursor, so it does not read the ids.
    onHead: () => void (parser = new SseParser(sink, { ids: false })),
    onBody: (bytes, start, end) => parser?.feedBytes(bytes, start, end),
    onEnd: () => undefined,
  });
  for (const r of reads) decoder.push(r);
});
