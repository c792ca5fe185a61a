import { describe, expect, it } from 'vitest';
import { nowUs } from '../../src/metrics/clock.js';
import { READ_EVERY_US, Spinner } from '../../src/server/spin.js';

describe('Spinner: a spin that reads the clock at most every READ_EVERY_US', () => {
  it('never returns before the instant', () => {
    const s = new Spinner();
    for (const aheadUs of [0, 1, 3, 50, 400, 2000]) {
      const dueUs = nowUs() + aheadUs;
      s.until(dueUs);
      expect(nowUs()).toBeGreaterThanOrEqual(dueUs);
    }
  });

  it('returns at once for an instant already past, after one read, and for one that is not a number', () => {
    expect(new Spinner().until(nowUs() - 10)).toBe(1);
    expect(new Spinner().until(Number.POSITIVE_INFINITY)).toBe(0);
    expect(new Spinner().until(Number.NaN)).toBe(0);
  });

  // Every read of Node's clock allocates, and the young collections that follow stall the publisher.
  it('reads the clock a few times per READ_EVERY_US, not in a tight loop', () => {
    const s = new Spinner();
    s.until(nowUs() + 2000);
    const spinUs = 20_000;
    const reads = s.until(nowUs() + spinUs);
    // Halving the chunk near the end and relearning the rate after a lost core add a few dozen
    // reads; a tight loop reads it hundreds of thousands of times in 20 ms (69 ns a read here).
    expect(reads).toBeLessThan((spinUs / READ_EVERY_US) * 2);
  });

  it('reads the given clock and stops when it reaches the instant', () => {
    let t = 100;
    const reads = new Spinner(() => (t += 3)).until(130);
    expect(t).toBeGreaterThanOrEqual(130);
    expect(reads).toBe(10);
  });

  it('adds up the time it spun, from its own first to its last read, and none for an instant already past', () => {
    let t = 100;
    const s = new Spinner(() => (t += 3));
    // Reads at 103, 106, …, 130: 27 µs of spinning.
    s.until(130);
    expect(s.spunUs).toBe(27);
    // One read at 133, already past 80: nothing spun.
    s.until(t - 50);
    expect(s.spunUs).toBe(27);
    // Reads at 136, 139, 142, 145 for an instant at 143: 9 µs more.
    s.until(t + 10);
    expect(s.spunUs).toBe(27 + 9);
  });
});
