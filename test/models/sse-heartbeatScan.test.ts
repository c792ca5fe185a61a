import { describe, expect, it } from 'vitest';
import { HeartbeatScanner } from '../../src/models/sse/heartbeatScan.js';
import { SseParser } from '../../src/models/sse/parser.js';

/** Heartbeats the scanner finds in the chunks, in total. */
function scanned(chunks: Uint8Array[]): number {
  const s = new HeartbeatScanner();
  return chunks.reduce((n, c) => n + s.count(c), 0);
}

/** What the event-stream parser calls a heartbeat (an empty comment): the scanner must agree. */
function parsed(bytes: Uint8Array): number {
  let n = 0;
  new SseParser({ onEvent: () => undefined, onComment: (text) => void (text === '' && n++) }).feed(bytes);
  return n;
}

const bytesOf = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

/** The scanner's count at every split into two chunks and one byte at a time, which must all be equal. */
function expectSameAtEverySplit(bytes: Buffer): number {
  const whole = scanned([bytes]);
  for (let i = 0; i <= bytes.length; i++) expect(scanned([bytes.subarray(0, i), bytes.subarray(i)]), `split at byte ${i}`).toBe(whole);
  expect(scanned([...bytes].map((b) => Uint8Array.of(b))), 'one byte at a time').toBe(whole);
  return whole;
}

const BOM = [0xef, 0xbb, 0xbf];

describe('HeartbeatScanner', () => {
  it.each([
    ['a heartbeat alone', bytesOf(':\n\n'), 1],
    [
      'heartbeats between events in one chunk',
      bytesOf(':\n\nid: 5\ndata: {"seq":5,"t":1,"body":"a:b"}\n\n:\n\n:\n\nid: 6\ndata: {"seq":6}\n\n'),
      3,
    ],
    ['a comment with text', bytesOf(': hi\n\n:x\n\n'), 0],
    ['colons inside field lines', bytesOf('data:\ndata::\ndata: :\n\nevent:\n\n'), 0],
    ['CRLF and CR line ends', bytesOf('data: a\r\n\r\n:\r\n\r\n:\r\r'), 2],
    ['a heartbeat first in the stream', bytesOf(':\n\n'), 1],
    ['a heartbeat after a byte-order mark', bytesOf(BOM, ':\n\n'), 1],
    ['a byte-order mark cut short, then a line', bytesOf([0xef, 0xbb], ':\n\n'), 0],
    ['a byte-order mark cut short, then a line end', bytesOf([0xef, 0xbb], '\n:\n\n'), 1],
    ['a colon at the very end', bytesOf('data: x\n:'), 0],
  ])('%s', (_what, bytes, expected) => {
    expect(expectSameAtEverySplit(bytes)).toBe(expected);
    expect(parsed(bytes)).toBe(expected);
  });

  it('agrees with the event-stream parser on random streams cut at random places', () => {
    // Seeded (mulberry32): the same 400 streams on every run.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pieces = [':', ':', '\n', '\n', '\r', '\r\n', ' ', 'data', 'x', 'é', '"a":1', ':\n\n', [0xef], [0xbb, 0xbf]];
    for (let k = 0; k < 400; k++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 30) }, () => pieces[Math.floor(random() * pieces.length)]!);
      if (random() < 0.2) parts.unshift(BOM);
      const bytes = bytesOf(...parts);
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length;) {
        const size = 1 + Math.floor(random() * 6);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      expect(scanned(chunks), JSON.stringify(bytes.toString('latin1'))).toBe(parsed(bytes));
    }
  });
});
