import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FixedRateSchedule } from '../../src/client/schedule.js';
import { Churn, shareOf, type Churnable } from '../../src/client/churn.js';
import { nowUs } from '../../src/metrics/clock.js';

describe('FixedRateSchedule', () => {
  it('fires event j at t0 + j / rate, catching up on everything due, and stops before the end', () => {
    const s = new FixedRateSchedule({ ratePerSec: 4, t0Us: 1_000_000, untilUs: 2_000_000 });
    const fired: [number, number][] = [];
    expect(s.due(999_999, (j, t) => fired.push([j, t]))).toBe(true);
    expect(fired).toEqual([]);
    // Late by 600 ms: three events are due and each keeps its own scheduled time.
    expect(s.due(1_600_000, (j, t) => fired.push([j, t]))).toBe(true);
    expect(fired).toEqual([
      [0, 1_000_000],
      [1, 1_250_000],
      [2, 1_500_000],
    ]);
    expect(s.waitUs(1_600_000)).toBe(150_000);
    expect(s.due(5_000_000, (j, t) => fired.push([j, t]))).toBe(false);
    expect(fired.map(([, t]) => t)).toEqual([1_000_000, 1_250_000, 1_500_000, 1_750_000]);
    expect(s.fired).toBe(4);
  });

  it('fires rate × window events in all, however the calls fall', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.array(fc.integer({ min: 0, max: 4_000_000 }), { maxLength: 30 }),
        (rate, windowMs, calls) => {
          const s = new FixedRateSchedule({ ratePerSec: rate, t0Us: 0, untilUs: windowMs * 1000 });
          let n = 0;
          let last = -1;
          for (const now of [...calls].sort((a, b) => a - b))
            s.due(now, (_j, t) => void (n++, expect(t).toBeGreaterThan(last), (last = t)));
          s.due(Infinity, () => void n++);
          expect(n).toBe(Math.ceil((windowMs * rate) / 1000 - 1e-9));
        },
      ),
    );
  });

  it('never fires at a rate of 0', () => {
    const s = new FixedRateSchedule({ ratePerSec: 0, t0Us: 0, untilUs: 1e9 });
    expect(s.due(1e9, () => expect.unreachable())).toBe(false);
  });
});

describe('churn', () => {
  const clients = (n: number) => {
    const list = Array.from({ length: n }, () => ({
      connected: true,
      drops: 0,
      drop() {
        this.drops++;
        this.connected = false;
      },
    }));
    return list satisfies Churnable[];
  };

  it('drops connected clients at its rate, moving on from one that is already down', () => {
    const list = clients(3);
    list[1]!.connected = false;
    // Three drops are already due when it starts (1000/s, from 2.5 ms ago), all drawing client 1 first.
    const t0Us = nowUs() - 2500;
    const churn = new Churn({ ratePerSec: 1000, t0Us, untilUs: t0Us + 3000 }, list, () => 0.4);
    churn.start();
    churn.stop();
    expect(list.map((c) => c.drops)).toEqual([1, 0, 1]);
    // The third found nobody connected.
    expect(churn.closed).toBe(2);
  });

  it('splits the scenario rate over workers by their share of clients', () => {
    expect(shareOf(10, 250, 1000)).toBe(2.5);
    expect(shareOf(10, 0, 0)).toBe(0);
  });
});
