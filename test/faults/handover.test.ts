import { describe, expect, it } from 'vitest';
import { MessageLog } from '../../src/server/messageLog.js';
import { Publisher } from '../../src/server/publisher.js';
import { carryOn, continuedSchedule, NO_CARRY } from '../../src/server/handover.js';

/**
 * A restart fault hands the log, the publisher's place and the running totals from one server
 * process to the next (src/server/handover.ts). After the hand-over the new process must answer
 * exactly as the old one would have: same reads from any cursor, same expected counts, same
 * sequence numbers and scheduled stamps for what comes next.
 */
describe('restart hand-over', () => {
  it('a restored log reads and counts like the original, past a wrapped ring and with chat addresses', () => {
    const old = new MessageLog(8);
    for (let i = 1; i <= 30; i++) old.append({ t: i * 10, body: `m${i}`, ...(i % 3 === 0 ? { from: 'u1', to: `u${i % 2}` } : {}) });
    // Through IPC: plain data only.
    const fresh = new MessageLog(8);
    fresh.restore(JSON.parse(JSON.stringify(old.snapshot())));
    expect(fresh.head).toBe(30);
    for (const cursor of [0, 10, 22, 25, 29, 30, 40]) {
      for (const user of [undefined, 'u0', 'u1']) {
        expect(fresh.readAfter(cursor, user), `${cursor} ${user}`).toEqual(old.readAfter(cursor, user));
        expect(fresh.expectedCount(cursor, 30, user), `${cursor} ${user}`).toBe(old.expectedCount(cursor, 30, user));
      }
    }
    // And it carries on: the next message is 31, on both.
    expect(fresh.append({ t: 310, body: 'm31' }).seq).toBe(old.append({ t: 310, body: 'm31' }).seq);
    expect(() => fresh.restore(old.snapshot())).toThrow(/empty log/);
  });

  it('the continued schedule stamps message k exactly as the original would have', () => {
    const original = { ratePerSec: 30, payloadBytes: 16, t0Us: 5_000_000_123, untilUs: 5_010_000_000 };
    const a = new Publisher(new MessageLog(10), original);
    const b = new Publisher(new MessageLog(10), continuedSchedule({ ...original, nextIndex: 47 }));
    for (let k = 0; k < 200; k++) expect(b.scheduledUs(k)).toBe(a.scheduledUs(47 + k));
  });

  it('totals add up across processes, peak memory is the highest', () => {
    const first = carryOn(NO_CARRY, {
      cpuUserUs: 100,
      cpuSystemUs: 10,
      wireBytes: { sentBytes: 1000, receivedBytes: 200, httpRequests: 5 },
      counters: { heartbeatBytes: 40 },
      peakRssBytes: 9e7,
      acceptedBySourceAddress: { '127.0.0.1': 20 },
    });
    const second = carryOn(first, {
      cpuUserUs: 50,
      cpuSystemUs: 5,
      wireBytes: { sentBytes: 10, receivedBytes: 2, httpRequests: 1 },
      counters: { heartbeatBytes: 4, refusedConnections: 1 },
      peakRssBytes: 5e7,
      acceptedBySourceAddress: { '127.0.0.1': 20, '127.0.0.2': 1 },
    });
    expect(second).toEqual({
      cpuUserUs: 150,
      cpuSystemUs: 15,
      wireBytes: { sentBytes: 1010, receivedBytes: 202, httpRequests: 6 },
      counters: { heartbeatBytes: 44, refusedConnections: 1 },
      peakRssBytes: 9e7,
      acceptedBySourceAddress: { '127.0.0.1': 40, '127.0.0.2': 1 },
    });
  });
});
