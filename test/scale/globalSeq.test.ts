import { describe, expect, it } from 'vitest';
import { MessageLog } from '../../src/server/messageLog.js';
import { Publisher } from '../../src/server/publisher.js';
import { nowUs } from '../../src/metrics/clock.js';

const entriesOf = (log: MessageLog) => log.readAfter(0).entries.map((e) => ({ seq: e.seq, t: e.t, json: e.json }));

/** Polls a condition with a deadline (no sleep as synchronisation). */
async function until(cond: () => boolean, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Several server processes keep one sequence: each runs its own publisher from the same t0, rate
 * and end (src/runner/serverGroup.ts). Two logs stand in for two processes here.
 */
describe('one publishing schedule in every server process', () => {
  it('gives two publishers started and stopped at different moments the same messages, seq for seq and stamp for stamp', async () => {
    const t0Us = nowUs() - 400_000;
    const untilUs = t0Us + 600_000;
    const opts = { ratePerSec: 50, payloadBytes: 16, t0Us, untilUs };
    const a = new MessageLog(1000);
    const b = new MessageLog(1000);
    const pa = new Publisher(a, opts);
    pa.start();
    // The second process starts later (its IPC message arrived late) and is stopped early, before the window ends.
    const pb = new Publisher(b, opts);
    await until(() => a.head >= 25, 5000);
    pb.start();
    pb.stop(untilUs);
    // The first is stopped late, well after the window: the timer has not published past its end.
    await until(() => nowUs() > untilUs + 50_000, 5000);
    pa.stop(untilUs + 1_000_000);
    expect(a.head).toBe(30);
    expect(entriesOf(b)).toEqual(entriesOf(a));
    expect(entriesOf(a).map((e) => e.t)).toEqual(Array.from({ length: 30 }, (_, k) => t0Us + k * 20_000));
  });
});
