import { describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/models/push/frameCache.js';
import { parseCursor } from '../../src/models/push/subscription.js';
import { MessageLog } from '../../src/server/messageLog.js';

describe('FrameCache', () => {
  it('builds each entry once and serves it again by identity', () => {
    const log = new MessageLog(100);
    const a = log.append({ t: 1, body: 'a' });
    const b = log.append({ t: 2, body: 'b' });
    let builds = 0;
    const cache = new FrameCache((e) => (builds++, Buffer.from(e.json)));
    const fa = cache.of(a);
    for (let i = 0; i < 1000; i++) expect(cache.of(a)).toBe(fa);
    cache.of(b);
    expect(cache.of(a)).toBe(fa);
    expect(builds).toBe(2);
  });

  it('keeps its recent frames within the byte budget, but always the current one', () => {
    const log = new MessageLog(100);
    const entries = Array.from({ length: 10 }, (_, i) => log.append({ t: i, body: 'x'.repeat(100) }));
    let builds = 0;
    const cache = new FrameCache((e) => (builds++, Buffer.from(e.json)), 300); // room for two ~125-byte frames
    for (const e of entries) cache.of(e);
    expect(builds).toBe(10);
    cache.of(entries[9]!);
    cache.of(entries[8]!);
    expect(builds).toBe(10);
    cache.of(entries[0]!); // evicted long ago
    expect(builds).toBe(11);
    const huge = log.append({ t: 0, body: 'y'.repeat(1000) });
    const f = cache.of(huge);
    expect(cache.of(huge)).toBe(f);
  });
});

describe('parseCursor', () => {
  it('accepts absent and non-negative integers, refuses the rest', () => {
    expect(parseCursor(null)).toEqual({ cursor: null });
    expect(parseCursor(undefined)).toEqual({ cursor: null });
    expect(parseCursor('0')).toEqual({ cursor: 0 });
    expect(parseCursor('123')).toEqual({ cursor: 123 });
    expect(parseCursor(7)).toEqual({ cursor: 7 });
    for (const bad of ['', '-1', '1.5', 'abc', ' 1', '1e3', '99999999999999999999', -1, 1.5, NaN, true, {}])
      expect(parseCursor(bad), String(bad)).toHaveProperty('invalid');
  });
});
