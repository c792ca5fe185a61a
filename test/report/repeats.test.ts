import { beforeAll, describe, expect, it } from 'vitest';
import { combineRepeats, median, spreadOf } from '../../src/report/repeats.js';
import { decodeHistogram } from '../../src/metrics/histogram.js';
import { initHistograms, syntheticRow } from './fixtures.js';

beforeAll(async () => {
  await initHistograms();
});

describe('combineRepeats', () => {
  it('a single run stays as it is, with no repeats field', () => {
    const row = syntheticRow({ model: 'sse', latencyBaseUs: 1000 });
    expect(combineRepeats([row])).toBe(row);
    expect(row.repeats).toBeUndefined();
  });

  it('medians the figures, totals the counters and merges the histograms', () => {
    const rows = [
      syntheticRow({ model: 'sse', latencyBaseUs: 1000, rssPerConnectionBytes: 9000, lost: 1 }),
      syntheticRow({ model: 'sse', latencyBaseUs: 1200, rssPerConnectionBytes: 12_000 }),
      syntheticRow({ model: 'sse', latencyBaseUs: 1100, rssPerConnectionBytes: 10_000, lost: 2 }),
    ];
    const c = combineRepeats(rows);
    expect(c.server.rssPerConnectionBytes).toBe(10_000);
    expect(c.messages.lost).toBe(3);
    expect(c.messages.delivered).toBe(3000);
    expect(c.latencyMs.count).toBe(3000);
    expect(decodeHistogram(c.histogram).totalCount).toBe(3000);
    expect(c.latencyMs.p50).toBeGreaterThanOrEqual(rows[0]!.latencyMs.p50!);
    expect(c.latencyMs.p50).toBeLessThanOrEqual(rows[1]!.latencyMs.p50!);
    expect(c.repeats).toHaveLength(3);
    expect(c.repeats![1]!.latencyMs).toEqual(rows[1]!.latencyMs);
    expect(c.status).toBe('ok');
  });

  it('a failed repeat marks the row failed but does not drag the medians to zero', () => {
    const c = combineRepeats([
      syntheticRow({ model: 'tcp', latencyBaseUs: 1000, rssPerConnectionBytes: 8000 }),
      syntheticRow({ model: 'tcp', latencyBaseUs: 1000, status: 'failed', statusReason: 'server crashed', rssPerConnectionBytes: 0 }),
      syntheticRow({ model: 'tcp', latencyBaseUs: 1000, rssPerConnectionBytes: 9000 }),
    ]);
    expect(c.status).toBe('failed');
    expect(c.statusReason).toBe('repeat 2 of 3: server crashed');
    expect(c.server.rssPerConnectionBytes).toBe(8500);
  });

  it('keeps storm and fault outcomes: medians, or the repeat whose clients never came back; dead peers are totalled', () => {
    const storm = (allBackMs: number | null, caughtUpMs: number | null) => ({
      action: 'reconnect-storm' as const,
      atMs: 5000,
      droppedClients: 10,
      backClients: allBackMs === null ? 9 : 10,
      allBackMs,
      caughtUpMs,
    });
    const stall = (caughtUpMs: number) => ({
      fault: 'stall' as const,
      atMs: 3000,
      lateMs: 0,
      faultMs: 1000,
      droppedClients: 0,
      backClients: 0,
      allBackMs: 1000,
      caughtUpMs,
    });
    const rows = [100, 300, 200].map((ms, i) => {
      const r = syntheticRow({ model: 'sse', latencyBaseUs: 1000 });
      r.recovery = storm(ms, ms + 50);
      r.faults = [stall(1000 + ms)];
      r.server.deadPeers = i;
      return r;
    });
    const c = combineRepeats(rows);
    expect(c.recovery).toEqual(storm(200, 250));
    expect(c.faults).toEqual([stall(1200)]);
    expect(c.server.deadPeers).toBe(3);
    // A repeat with clients that never came back is not averaged away.
    rows[1]!.recovery = storm(null, null);
    expect(combineRepeats(rows).recovery).toEqual(storm(null, null));
    // A repeat without the fault (a different plan): no combined outcome rather than a wrong one.
    delete rows[2]!.faults;
    expect(combineRepeats(rows).faults).toBeUndefined();
  });
});

describe('spread', () => {
  it('is min, max and median over the repeats, and absent for one run', () => {
    const c = combineRepeats(
      [10, 30, 20].map((kib) => syntheticRow({ model: 'ws', latencyBaseUs: 1000, rssPerConnectionBytes: kib * 1024 })),
    );
    expect(spreadOf(c, (r) => r.server.rssPerConnectionBytes)).toEqual({ min: 10_240, max: 30_720, median: 20_480, n: 3 });
    expect(spreadOf(syntheticRow({ model: 'ws', latencyBaseUs: 1 }), (r) => r.server.rssPerConnectionBytes)).toBeUndefined();
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
