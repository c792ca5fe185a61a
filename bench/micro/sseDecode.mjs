// @ts-check
/**
 * The lean SSE client's decoding cost per event, without sockets: the bytes the reference server
 * writes for a broadcast (20,000 messages of 128 B padding, each its own HTTP chunk, in 64 KiB
 * reads) through HttpResponseDecoder, SseParser and messageOf, as LeanSseClient wires them. CPU
 * time of this process per event, over 30 passes after 20 of warm-up. On a 2-vCPU machine shared
 * with other work the figure can double while the other vCPU is busy: take the lowest of a few
 * runs, and compare two builds run by turns. Run after `npm run build`:
 *   node bench/micro/sseDecode.mjs
 */
import { HttpResponseDecoder } from '../../dist/models/sse/httpResponse.js';
import { SseParser } from '../../dist/models/sse/parser.js';
import { messageOf } from '../../dist/models/sse/eventData.js';
import { httpChunk } from '../../dist/models/sse/server.js';
import { messageFrame } from '../../dist/models/sse/frames.js';
import { encodeMessage, paddingOf } from '../../dist/models/message.js';

const MESSAGES = 20_000;
const READ_BYTES = 64 * 1024;
const head = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
const frames = [];
for (let seq = 1; seq <= MESSAGES; seq++) {
  const t = 1e10 + seq;
  frames.push(httpChunk(messageFrame({ seq, t, json: encodeMessage({ seq, t, body: paddingOf(128) }) })));
}
const stream = Buffer.concat([head, ...frames]);
/** @type {Buffer[]} */
const reads = [];
for (let i = 0; i < stream.length; i += READ_BYTES) reads.push(stream.subarray(i, i + READ_BYTES));

let events = 0;
let seqSum = 0;

/** One stream, start to end, as one client reads it. */
function decodeStream() {
  /** @type {SseParser | undefined} */
  let parser;
  const sink = {
    /** @param {import('../../dist/models/sse/parser.js').SseEvent} e */
    onEvent(e) {
      const m = messageOf(e.data);
      events++;
      if (!(m instanceof Error)) seqSum += m.seq;
    },
  };
  const decoder = new HttpResponseDecoder({
    // As the lean client makes it: it resumes from its own cursor, so it does not read the ids.
    onHead: () => void (parser = new SseParser(sink, { ids: false })),
    onBody: (bytes, start, end) => parser?.feedBytes(bytes, start, end),
    onEnd: () => undefined,
  });
  for (const r of reads) decoder.push(r);
}

for (let i = 0; i < 20; i++) decodeStream();
events = 0;
seqSum = 0;
const before = process.cpuUsage();
for (let i = 0; i < 30; i++) decodeStream();
const used = process.cpuUsage(before);
const nsPerEvent = ((used.user + used.system) * 1000) / events;
// The sum is printed so the decoded messages are used (30 × 20,000 × 20,001 / 2).
console.log(`${events} events: ${nsPerEvent.toFixed(0)} ns CPU per event (seq sum ${seqSum})`);
