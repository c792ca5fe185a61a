import { describe, expect, it } from 'vitest';
import { clockFigures, estimateOffset, type ClockExchange } from '../../src/metrics/clockOffset.js';
import { clockOfRun, shardClockOf } from '../../src/runner/clockRow.js';

/**
 * A peer whose clock is `offsetUs` ahead of ours answers an exchange sent at `sentUs` after
 * `outUs` on the way there, and we read the answer `backUs` later.
 */
function exchange(offsetUs: number, sentUs: number, outUs: number, backUs: number): ClockExchange {
  return { sentUs, peerUs: sentUs + outUs + offsetUs, receivedUs: sentUs + outUs + backUs };
}

describe('clock offset from exchanges', () => {
  it('takes the exchange with the smallest round trip: offset = peer − midpoint, bound = half of it', () => {
    const xs = [exchange(1e9, 0, 300, 100), exchange(1e9, 1000, 20, 20), exchange(1e9, 2000, 10, 90)];
    const e = estimateOffset(xs);
    expect(e).toEqual({ offsetUs: 1e9, boundUs: 20, minRttUs: 40, atUs: 1020, exchanges: 3 });
  });

  it('stays within its bound however lopsided the smallest round trip is', () => {
    // All the round trip on the way there, or all on the way back: the two worst cases.
    const there = estimateOffset([exchange(-500, 0, 60, 0)]);
    const back = estimateOffset([exchange(-500, 0, 0, 60)]);
    expect(there.offsetUs).toBe(-470);
    expect(back.offsetUs).toBe(-530);
    for (const e of [there, back]) expect(Math.abs(e.offsetUs - -500)).toBeLessThanOrEqual(e.boundUs);
  });

  it('refuses no exchanges', () => {
    expect(() => estimateOffset([])).toThrow(/at least one/);
  });

  it('over a window: drift from the two estimates, and a bound that covers the offset moving between them', () => {
    const before = { offsetUs: 100, boundUs: 30, minRttUs: 60, atUs: 0, exchanges: 300 };
    const after = { offsetUs: 160, boundUs: 40, minRttUs: 80, atUs: 60e6, exchanges: 300 };
    const f = clockFigures(before, after);
    // 60 µs in 60 s: 1 ppm. The applied offset (100) may be 60 + 40 off by the end of the window.
    expect(f.offsetUs).toBe(100);
    expect(f.driftPpm).toBeCloseTo(1, 9);
    expect(f.boundUs).toBe(100);
    // Each estimate may be off by its bound: (30 + 40) µs over 60 s.
    expect(f.driftBoundPpm).toBeCloseTo(70 / 60, 9);
    // No drift: the larger of the two bounds.
    expect(clockFigures(before, { ...after, offsetUs: 100 }).boundUs).toBe(40);
    expect(clockFigures(before)).toMatchObject({ offsetUs: 100, boundUs: 30, driftPpm: 0 });
  });

  it("a shard's clock: the tightest worker's offset and drift, the loosest bound; the run's bound is its shards' largest", () => {
    const w = (offsetUs: number, boundUs: number) => ({ before: { offsetUs, boundUs, minRttUs: 2 * boundUs, atUs: 0, exchanges: 1 } });
    const shard = shardClockOf(1, [w(-999_999_998.44, 35.01), w(-999_999_990, 80)]);
    expect(shard).toEqual({ shard: 1, offsetUs: -999_999_998.4, boundUs: 80, driftPpm: 0, driftBoundPpm: 0, minRttUs: 70 });
    // A bound is rounded up to the tenth, so it still holds.
    expect(shardClockOf(0, [w(0.04, 30.01)]).boundUs).toBe(30.1);
    const run = clockOfRun([
      { shard: 0, workers: [w(1, 30)] },
      { shard: 1, workers: [w(-1e9, 45)] },
    ]);
    expect(run?.boundUs).toBe(45);
    expect(run?.shards.map((s) => s.shard)).toEqual([0, 1]);
    expect(clockOfRun([{ shard: 0, workers: [] }])).toBeUndefined();
  });
});
