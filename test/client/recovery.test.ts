import { describe, expect, it } from 'vitest';
import { BUCKET_US } from '../../src/ipc/worker.js';
import { StormTracker } from '../../src/client/recovery.js';
import { summarizeStorm } from '../../src/runner/stormRecovery.js';

const S = 10_000_000;

describe('reconnect storm recovery', () => {
  it('is all back when the last dropped client subscribes again, and caught up when the backlog scheduled before then has arrived', () => {
    const a = new StormTracker(S);
    a.arrival(S - 500_000, S - 400_000); // before the storm: ignored
    a.arrival(S - 50_000, S + 300_000); // in flight at the storm, delivered from the cursor later
    a.arrival(S + 100_000, S + 320_000); // published while away
    a.arrival(S + 900_000, S + 905_000); // live traffic after everyone is back: not a catch-up
    const b = new StormTracker(S);
    b.arrival(S + 200_000, S + 410_000);
    const reports = [a.report([{ backAtUs: S + 250_000 }, { backAtUs: S + 120_000 }]), b.report([{ backAtUs: S + 400_000 }])];
    expect(summarizeStorm(reports, S - 5_000_000)).toEqual({
      action: 'reconnect-storm',
      atMs: 5000,
      droppedClients: 3,
      backClients: 3,
      allBackMs: 400,
      caughtUpMs: 410,
    });
  });

  it('never reports recovery while a client is still away', () => {
    const t = new StormTracker(S);
    const r = summarizeStorm([t.report([{ backAtUs: S + 1000 }, { backAtUs: null }, { backAtUs: undefined }])], S);
    expect(r).toMatchObject({ droppedClients: 3, backClients: 1, allBackMs: null, caughtUpMs: null });
  });

  it('with nothing to catch up, caught up is all back', () => {
    const t = new StormTracker(S);
    expect(summarizeStorm([t.report([{ backAtUs: S + 2 * BUCKET_US }])], S)).toMatchObject({ allBackMs: 20, caughtUpMs: 20 });
    expect(summarizeStorm([], S)).toBeUndefined();
  });
});
