import { describe, expect, it } from 'vitest';
import { PollDeadlines } from '../../src/models/long-poll/pollDeadlines.js';
import { sweepTickMs } from '../../src/models/push/heartbeat.js';

/** Deadlines over plain objects with a clock the test moves. */
function setup() {
  const clock = { nowMs: 1000 };
  const expired: string[] = [];
  const d = new PollDeadlines<{ name: string }>((k) => expired.push(k.name), { nowMs: () => clock.nowMs });
  return { d, clock, expired };
}

describe('PollDeadlines', () => {
  it('says a connection is new only on its first request', () => {
    const { d } = setup();
    const a = { name: 'a' };
    expect(d.arrived(a)).toBe(true);
    expect(d.arrived(a)).toBe(false);
    expect(d.arrived({ name: 'b' })).toBe(true);
    expect(d.size).toBe(2);
  });

  it('expires a connection whose next request is not in by answer time + withinMs, once', () => {
    const { d, clock, expired } = setup();
    const a = { name: 'a' };
    d.arrived(a);
    d.answered(a, 300); // due at 1300
    clock.nowMs = 1299;
    d.sweep();
    expect(expired).toEqual([]);
    clock.nowMs = 1300;
    d.sweep();
    expect(expired).toEqual(['a']);
    expect(d.size).toBe(0);
    clock.nowMs = 5000;
    d.sweep();
    expect(expired).toEqual(['a']);
  });

  it('never expires a connection with a request in hand (a held poll), however long', () => {
    const { d, clock, expired } = setup();
    const a = { name: 'a' };
    d.arrived(a);
    d.answered(a, 300);
    clock.nowMs = 1250;
    d.arrived(a); // the next poll, in time: disarmed
    clock.nowMs = 1_000_000;
    d.sweep();
    expect(expired).toEqual([]);
    d.answered(a, 300); // re-armed from its answer's time
    clock.nowMs = 1_000_299;
    d.sweep();
    expect(expired).toEqual([]);
    clock.nowMs = 1_000_300;
    d.sweep();
    expect(expired).toEqual(['a']);
  });

  it('gives a connection still taking a queued answer the grace again instead of expiring it', () => {
    const clock = { nowMs: 1000 };
    const expired: string[] = [];
    const busy = new Set<string>(['a']);
    const d = new PollDeadlines<{ name: string }>((k) => expired.push(k.name), {
      nowMs: () => clock.nowMs,
      busy: (k) => busy.has(k.name),
      busyGraceMs: 500,
    });
    const a = { name: 'a' };
    d.arrived(a);
    d.answered(a, 300); // due at 1300, but its answer is still being read
    clock.nowMs = 1300;
    d.sweep();
    expect(expired).toEqual([]);
    busy.delete('a'); // read to the end at about 1300: due again at 1800
    clock.nowMs = 1799;
    d.sweep();
    expect(expired).toEqual([]);
    clock.nowMs = 1800;
    d.sweep();
    expect(expired).toEqual(['a']);
  });

  it('measures each connection against its own deadline', () => {
    const { d, clock, expired } = setup();
    const fast = { name: 'fast' };
    const slow = { name: 'slow' };
    d.arrived(fast);
    d.arrived(slow);
    d.answered(fast, 300); // due at 1300
    d.answered(slow, 1300); // every 1000 + timeout 300: due at 2300
    clock.nowMs = 2000;
    d.sweep();
    expect(expired).toEqual(['fast']);
    clock.nowMs = 2300;
    d.sweep();
    expect(expired).toEqual(['fast', 'slow']);
  });

  it('forgets a closed connection, and an answer after the close does not bring it back', () => {
    const { d, clock, expired } = setup();
    const a = { name: 'a' };
    d.arrived(a);
    d.closed(a);
    d.answered(a, 300);
    expect(d.size).toBe(0);
    clock.nowMs = 10_000;
    d.sweep();
    expect(expired).toEqual([]);
  });

  it('an answer on a connection never seen to poll arms nothing', () => {
    const { d, clock, expired } = setup();
    d.answered({ name: 'stranger' }, 300);
    clock.nowMs = 10_000;
    d.sweep();
    expect(d.size).toBe(0);
    expect(expired).toEqual([]);
  });

  it('stop() forgets every connection', () => {
    const { d, clock, expired } = setup();
    const a = { name: 'a' };
    d.arrived(a);
    d.answered(a, 300);
    d.start(1000);
    d.stop();
    expect(d.size).toBe(0);
    clock.nowMs = 10_000;
    d.sweep();
    expect(expired).toEqual([]);
  });
});

describe('sweepTickMs', () => {
  it('is a quarter of the timeout, never under 5 ms', () => {
    expect(sweepTickMs(30_000)).toBe(7500);
    expect(sweepTickMs(300)).toBe(75);
    expect(sweepTickMs(8)).toBe(5);
  });
});
