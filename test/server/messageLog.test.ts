import { describe, expect, it } from 'vitest';
import { MessageLog } from '../../src/server/messageLog.js';

const append = (log: MessageLog, n: number, to?: string) => {
  for (let i = 0; i < n; i++) log.append({ t: 1000 + i, body: 'x', ...(to ? { to } : {}) });
};

describe('MessageLog', () => {
  it('numbers messages from 1 and reads after a cursor', () => {
    const log = new MessageLog(100);
    append(log, 5);
    expect(log.head).toBe(5);
    const r = log.readAfter(2);
    expect(r.entries.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(r.cursor).toBe(5);
    expect(r.gap).toBeUndefined();
    expect(JSON.parse(r.entries[0]!.json)).toEqual({ seq: 3, t: 1002, body: 'x' });
  });

  it('signals a gap for a cursor older than retention, exactly the dropped range', () => {
    const log = new MessageLog(10);
    append(log, 25);
    expect(log.oldest).toBe(16);
    const r = log.readAfter(3);
    expect(r.gap).toEqual({ fromSeq: 4, toSeq: 15 });
    expect(r.entries.map((e) => e.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    // A cursor just inside retention gets no gap.
    expect(log.readAfter(15).gap).toBeUndefined();
  });

  it('treats a cursor beyond the head as the head (a client from an older server life)', () => {
    const log = new MessageLog(10);
    append(log, 3);
    const r = log.readAfter(99);
    expect(r.entries).toEqual([]);
    expect(r.cursor).toBe(3);
  });

  it('filters chat messages by recipient and counts what each reader should receive', () => {
    const log = new MessageLog(100);
    append(log, 2); // broadcast 1,2
    append(log, 3, 'u1'); // 3,4,5
    append(log, 1, 'u2'); // 6
    append(log, 1); // broadcast 7
    expect(log.readAfter(0, 'u1').entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 7]);
    expect(log.readAfter(0, 'u2').entries.map((e) => e.seq)).toEqual([1, 2, 6, 7]);
    expect(log.readAfter(4, 'u2').cursor).toBe(7);
    expect(log.expectedCount(0, 7, 'u1')).toBe(6);
    expect(log.expectedCount(0, 7, 'u2')).toBe(4);
    expect(log.expectedCount(3, 7, 'u1')).toBe(3);
    expect(log.expectedCount(0, 7, 'u3')).toBe(3);
    expect(log.expectedCount(5, 5, 'u1')).toBe(0);
  });

  it('tells listeners of every append in order', () => {
    const log = new MessageLog(4);
    const seen: number[] = [];
    log.onAppend((e) => seen.push(e.seq));
    append(log, 6);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
