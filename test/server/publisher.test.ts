import { describe, expect, it } from 'vitest';
import { MessageLog } from '../../src/server/messageLog.js';
import { Publisher } from '../../src/server/publisher.js';
import { nowUs } from '../../src/metrics/clock.js';
import { OnTimeWaiter, SPIN_FLOOR_MAX_US, SPIN_MAX_US, SPIN_MIN_US, WakeLateness, spinBefore } from '../../src/server/onTime.js';

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

describe('Publisher lateness and the on-time wait', () => {
  it('records its own lateness for every message scheduled from recordLagFromUs on', () => {
    const log = new MessageLog(1000);
    // Every message is 200 ms or more late when it starts: 20 before the recording starts, 30 after.
    const t0Us = nowUs() - 700_000;
    const p = new Publisher(log, { ratePerSec: 100, payloadBytes: 1, t0Us, untilUs: t0Us + 500_000, recordLagFromUs: t0Us + 200_000 });
    p.start();
    p.stop(t0Us + 500_000);
    expect(log.head).toBe(50);
    const lag = p.lag.flush();
    expect(lag.totalCount).toBe(30);
    expect(lag.minNonZeroValue).toBeGreaterThanOrEqual(200_000);
    expect(lag.maxValue).toBeGreaterThanOrEqual(500_000);
  });

  it('records each message handed on once the nextTick and microtask work its append queued has run', async () => {
    const log = new MessageLog(1000);
    const busyUs = (us: number) => {
      for (const end = nowUs() + us; nowUs() < end;);
    };
    // A push model flushes its corked writes on process.nextTick; a held poll is answered in a microtask.
    log.onAppend(() => {
      process.nextTick(() => busyUs(3000));
      queueMicrotask(() => busyUs(3000));
    });
    const t0Us = nowUs() + 5000;
    const p = new Publisher(log, { ratePerSec: 100, payloadBytes: 1, t0Us, untilUs: t0Us + 30_000 });
    p.start();
    await new Promise((resolve) => setTimeout(resolve, 80));
    p.stop();
    expect(log.head).toBe(3);
    const handoff = p.handoff.flush();
    expect(handoff.totalCount).toBe(3);
    expect(handoff.minNonZeroValue).toBeGreaterThanOrEqual(6000);
    expect(handoff.maxValue).toBeGreaterThanOrEqual(p.lag.flush().maxValue + 6000);
  });

  it('publishes each message at or after its scheduled time, never before', async () => {
    const log = new MessageLog(1000);
    const t0Us = nowUs() + 5000;
    const p = new Publisher(log, { ratePerSec: 400, payloadBytes: 1, t0Us, untilUs: t0Us + 50_000 });
    const appended: number[] = [];
    const append = log.append.bind(log);
    log.append = (e) => {
      appended.push(nowUs());
      return append(e);
    };
    p.start();
    await new Promise((r) => setTimeout(r, 120));
    p.stop(t0Us + 50_000);
    expect(appended).toHaveLength(20);
    appended.forEach((at, k) => expect(at, `message ${k}`).toBeGreaterThanOrEqual(p.scheduledUs(k)));
  });
});

describe('OnTimeWaiter', () => {
  it('calls back once, never before the instant, and not at all once cancelled', async () => {
    const w = new OnTimeWaiter(10_000);
    const calls: { due: number; at: number }[] = [];
    for (const aheadUs of [8000, 1500, 100, -50]) {
      const due = nowUs() + aheadUs;
      await new Promise<void>((resolve) => w.at(due, () => resolve(void calls.push({ due, at: nowUs() }))));
    }
    expect(calls).toHaveLength(4);
    for (const c of calls) expect(c.at).toBeGreaterThanOrEqual(c.due);
    let fired = false;
    w.at(nowUs() + 3000, () => (fired = true));
    w.cancel();
    await new Promise((r) => setTimeout(r, 10));
    expect(fired).toBe(false);
  });

  it('counts the time it spent spinning before each instant, and none for an instant already past', async () => {
    // At 10/s the spin is SPIN_FLOOR_MAX_US: an instant 3 ms ahead is spun for all the way.
    const w = new OnTimeWaiter(100_000);
    await new Promise<void>((resolve) => w.at(nowUs() - 1000, resolve));
    expect(w.spunUs).toBe(0);
    const dueUs = nowUs() + 3000;
    let firedUs = 0;
    await new Promise<void>((resolve) => w.at(dueUs, () => resolve(void (firedUs = nowUs()))));
    expect(w.spunUs).toBeGreaterThan(0);
    // The spin ends where the callback begins: it cannot have spun past the call.
    expect(w.spunUs).toBeLessThanOrEqual(firedUs - (dueUs - 3000));
  });

  it('never calls back before at() returns, even for an instant already past', async () => {
    const w = new OnTimeWaiter(10_000);
    let fired = false;
    w.at(nowUs() - 1000, () => (fired = true));
    expect(fired).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(fired).toBe(true);
  });
});

describe('Publisher at thousands of messages per second', () => {
  it('publishes a whole window scheduled closer together than the spin, without growing the stack', async () => {
    const log = new MessageLog(100_000);
    // 10 µs apart, well inside SPIN_MIN_US: each message's wait asks for the next one at once.
    const t0Us = nowUs() + 2000;
    const untilUs = t0Us + 300_000;
    const p = new Publisher(log, { ratePerSec: 100_000, payloadBytes: 1, t0Us, untilUs });
    p.start();
    // Bounded: a machine busy with other work may keep this process from running for a while.
    const giveUpUs = untilUs + 10_000_000;
    while (log.head < 30_000 && nowUs() < giveUpUs) await new Promise((r) => setTimeout(r, 20));
    // The stop publishes nothing more: the schedule itself reached the window's end.
    expect(log.head).toBe(30_000);
    expect(p.stop(untilUs)).toBe(30_000);
  });
});

describe('WakeLateness: the spin covers how late recent sleeps woke', () => {
  it('starts at the minimum and stays there while sleeps wake within it', () => {
    const w = new WakeLateness();
    expect(w.spinUs).toBe(SPIN_MIN_US);
    for (let i = 0; i < 100; i++) w.note(60 + (i % 30));
    expect(w.spinUs).toBe(SPIN_MIN_US);
  });

  it('ignores one late wake, follows two, and is capped at the maximum', () => {
    const w = new WakeLateness();
    w.note(900);
    expect(w.spinUs).toBe(SPIN_MIN_US);
    w.note(700);
    // The second largest (700) and the 50 µs margin.
    expect(w.spinUs).toBe(750);
    w.note(50_000);
    expect(w.spinUs).toBe(950);
    w.note(60_000);
    expect(w.spinUs).toBe(SPIN_MAX_US);
  });

  it('forgets a late wake once 64 later sleeps have been noted', () => {
    const w = new WakeLateness();
    w.note(1000);
    w.note(1000);
    for (let i = 0; i < 62; i++) w.note(10);
    expect(w.spinUs).toBe(1050);
    w.note(10);
    expect(w.spinUs).toBe(SPIN_MIN_US);
  });

  it('reads an early wake (a negative lateness) as on time', () => {
    const w = new WakeLateness();
    w.note(-500);
    w.note(-500);
    expect(w.spinUs).toBe(SPIN_MIN_US);
  });
});

describe('spinBefore: how long to spin before an instant', () => {
  it('follows the wakes at high rates: the floor share is below the minimum there', () => {
    expect(spinBefore(1000, SPIN_MIN_US)).toBe(SPIN_MIN_US);
    expect(spinBefore(1000, 400)).toBe(400);
  });

  it('never spins more than half the interval (SPIN_MIN_US at least), however late the wakes', () => {
    expect(spinBefore(1000, SPIN_MAX_US)).toBe(500);
    expect(spinBefore(100, SPIN_MAX_US)).toBe(SPIN_MIN_US);
  });

  it('spins a tenth of the interval at least at low rates, up to its own cap', () => {
    // 100/s: 10 ms apart, 1 ms spin although recent wakes were prompt.
    expect(spinBefore(10_000, SPIN_MIN_US)).toBe(1000);
    // Late wakes still win when they need more.
    expect(spinBefore(10_000, SPIN_MAX_US)).toBe(SPIN_MAX_US);
    // 10/s: 100 ms apart, the floor is capped.
    expect(spinBefore(100_000, SPIN_MIN_US)).toBe(SPIN_FLOOR_MAX_US);
  });
});
