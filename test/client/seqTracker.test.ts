import { describe, expect, it } from 'vitest';
import { SeqTracker } from '../../src/client/seqTracker.js';

describe('SeqTracker', () => {
  it('counts unique, duplicates and reordered arrivals from the starting cursor', () => {
    const t = new SeqTracker();
    t.subscribed(10);
    for (const seq of [11, 12, 12, 14, 13, 15, 11]) t.receive(seq);
    expect(t.unique).toBe(5);
    expect(t.duplicates).toBe(2);
    expect(t.reordered).toBe(1);
    expect(t.cursor).toBe(15);
    expect(t.startCursor).toBe(10);
  });

  it('keeps the first starting cursor across resubscribes and grows past thousands of seqs', () => {
    const t = new SeqTracker();
    t.subscribed(0);
    for (let s = 1; s <= 5000; s++) t.receive(s);
    t.subscribed(5000);
    expect(t.startCursor).toBe(0);
    expect(t.unique).toBe(5000);
    expect(t.receive(4999)).toBe(false);
    expect(t.duplicates).toBe(1);
  });

  it('counts a gap as messages it will never get, and moves the cursor past it', () => {
    const t = new SeqTracker();
    t.subscribed(3);
    t.gap(4, 15);
    expect(t.gapped).toBe(12);
    expect(t.cursor).toBe(15);
  });
});
