import { describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/models/push/frameCache.js';
import { parseCursor } from '../../src/models/push/subscription.js';
import { HeartbeatSweeper, type Pingable } from '../../src/models/push/heartbeat.js';
import { MessageLog } from '../../src/server/messageLog.js';
import { waitFor } from '../helpers/harness.js';

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

describe('HeartbeatSweeper', () => {
  it("reports each tick's pings once, as the count of connections it pinged", async () => {
    const conns: Pingable[] = Array.from({ length: 4 }, () => ({ awaitingPongSinceMs: undefined }));
    const pinged: Pingable[] = [];
    const reports: number[] = [];
    // No timeout: nothing expires, so every tick that pings pings every watched connection.
    const sweeper = new HeartbeatSweeper<Pingable>(
      { intervalMs: 10, timeoutMs: 0 },
      (c) => pinged.push(c),
      () => expect.fail('nothing expires without a timeout'),
      (count) => reports.push(count),
    );
    try {
      for (const c of conns) sweeper.add(c);
      sweeper.delete(conns[3]!);
      sweeper.start();
      await waitFor(() => reports.length >= 3, 'three ping ticks');
      sweeper.stop();
      expect(
        reports.every((n) => n === 3),
        String(reports),
      ).toBe(true);
      expect(pinged.length).toBe(3 * reports.length);
      expect(pinged).not.toContain(conns[3]);
      for (const c of conns.slice(0, 3)) expect(c.awaitingPongSinceMs).toBeTypeOf('number');
    } finally {
      sweeper.stop();
    }
  });
});
