import { describe, expect, it } from 'vitest';
import { MessageLog } from '../../src/server/messageLog.js';
import { Publisher } from '../../src/server/publisher.js';
import { nowUs } from '../../src/metrics/clock.js';

describe('Publisher', () => {
  it('stamps each message with its scheduled time, k / rate after t0', () => {
    const log = new MessageLog(100);
    const p = new Publisher(log, { ratePerSec: 4, payloadBytes: 3, t0Us: 1_000_000 });
    expect([0, 1, 2, 4].map((k) => p.scheduledUs(k))).toEqual([1_000_000, 1_250_000, 1_500_000, 2_000_000]);
  });

  it('publishes everything due, late, with scheduled stamps, when its event loop was stalled', () => {
    const log = new MessageLog(1000);
    // t0 half a second ago: 50 messages at 100/s are already due when it starts.
    const t0Us = nowUs() - 500_000;
    const p = new Publisher(log, { ratePerSec: 100, payloadBytes: 1, t0Us });
    p.start();
    p.stop();
    expect(log.head).toBeGreaterThanOrEqual(50);
    const entries = log.readAfter(0).entries;
    expect(entries[0]!.t).toBe(t0Us);
    expect(entries[10]!.t).toBe(t0Us + 100_000);
    expect(p.lateMaxUs).toBeGreaterThanOrEqual(500_000);
  });

  it('on stop with an end time, publishes the rest of the window a stall kept back, and nothing after it', () => {
    const log = new MessageLog(1000);
    const t0Us = nowUs() + 60_000_000; // far in the future: nothing is due yet
    const p = new Publisher(log, { ratePerSec: 10, payloadBytes: 1, t0Us });
    p.start();
    expect(log.head).toBe(0);
    const published = p.stop(t0Us + 2_000_000);
    expect(published).toBe(20);
    expect(log.head).toBe(20);
    expect(log.readAfter(19).entries[0]!.t).toBe(t0Us + 1_900_000);
  });
});
