import { describe, expect, it } from 'vitest';
import { crossedNever, figure } from '../../bench/figure.js';
import { renderFigures, renderMisses } from '../../bench/render.js';
import { paceOf } from '../../bench/figures/broadcast.js';
import { handoffWhy } from '../../bench/figures/latency.js';
import { libraryWhy, memoryWhy } from '../../bench/figures/memory.js';

const base = { id: 'x', title: 't', unit: 'requests/s', floorName: 'peer' } as const;

/** A throughput figure at half its goal, with whatever it says about itself. */
const halfOfGoal = (about: Pick<Parameters<typeof figure>[0], 'details' | 'explain'>) =>
  figure({ ...base, measured: 50, floor: 100, goal: { op: '>=', ratio: 1 }, ...about });

describe('bench figures', () => {
  it('judges a higher-is-better ratio, its miss and its never line', () => {
    const met = figure({ ...base, measured: 110, floor: 100, goal: { op: '>=', ratio: 1, never: 0.8 } });
    expect(met).toMatchObject({ ratio: 1.1, met: true, missBy: 0 });
    const missed = figure({ ...base, measured: 90, floor: 100, goal: { op: '>=', ratio: 1, never: 0.8 } });
    expect(missed).toMatchObject({ ratio: 0.9, met: false, missBy: 0.1 });
    expect(crossedNever(missed)).toBe(false);
    expect(crossedNever(figure({ ...base, measured: 50, floor: 100, goal: { op: '>=', ratio: 1, never: 0.8 } }))).toBe(true);
  });

  it('judges a lower-is-better ratio', () => {
    const f = figure({ ...base, unit: 'bytes/connection', measured: 8192, floor: 4096, goal: { op: '<=', ratio: 1.5 } });
    expect(f).toMatchObject({ ratio: 2, met: false, missBy: 0.5 });
    expect(crossedNever(f)).toBe(false);
    expect(figure({ ...base, unit: 'ms', measured: 1, floor: 1, goal: { op: '<=', ratio: 1.5 } }).met).toBe(true);
  });

  it('renders one Markdown row per figure with units and the verdict', () => {
    const rows = renderFigures([
      figure({ ...base, measured: 50, floor: 100, goal: { op: '>=', ratio: 1, never: 0.8 } }),
      figure({ ...base, id: 'm', title: 'memory', unit: 'bytes/connection', measured: 6144, floor: 4096, goal: { op: '<=', ratio: 2 } }),
    ]).split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[2]).toBe(
      '| t | 50 requests/s | 100 requests/s (peer) | 0.5 | >= 1 (never below 0.8) | missed by 0.5, past the never line |',
    );
    expect(rows[3]).toBe('| memory | 6.0 KiB/conn | 4.0 KiB/conn (peer) | 1.5 | <= 2 | met |');
  });

  it('lists every missed goal with the details of its measurement, and says when none is missed', () => {
    const missed = halfOfGoal({ details: { clientCpuUsPerDelivery: 1.3, sseClient: 'lean' } });
    const met = figure({
      ...base,
      id: 'm',
      title: 'memory',
      unit: 'bytes/connection',
      measured: 10,
      floor: 10,
      goal: { op: '<=', ratio: 2 },
    });
    expect(renderMisses([missed, met])).toBe('missed: t (0.5, goal >= 1)\n  figures: clientCpuUsPerDelivery 1.3, sseClient lean');
    expect(renderMisses([met])).toBe('every goal met');
  });

  it('says why a goal was missed and where to look closer, when the figure knows', () => {
    const missed = halfOfGoal({
      details: { lost: 0 },
      explain: { why: 'the client set the pace', profile: 'node bench/micro/x.mjs', docs: 'A section' },
    });
    expect(renderMisses([missed]).split('\n')).toEqual([
      'missed: t (0.5, goal >= 1): the client set the pace',
      '  figures: lost 0',
      '  look closer: node bench/micro/x.mjs; docs/benchmarks.md, "A section"',
    ]);
  });

  it("reads a broadcast's pace, a latency's handoff and a memory figure's bound from the run's own numbers", () => {
    const floor = { delivered: 1000, serverCpuUs: 800, clientCpuUs: 500 };
    expect(paceOf({ delivered: 1000, serverCpuUs: 900, clientCpuUs: 1800, serverCpuPercent: 46, clientCpuPercent: 89 }, floor)).toBe(
      "the client set the pace, busy for 89 % of the span at 1.8 µs of CPU a delivery against the bare client's 0.5 µs",
    );
    expect(paceOf({ delivered: 1000, serverCpuUs: 1500, clientCpuUs: 700, serverCpuPercent: 90, clientCpuPercent: 40 }, floor)).toBe(
      "the server set the pace, busy for 90 % of the span at 1.5 µs of CPU a delivery against the bare server's 0.8 µs",
    );
    expect(handoffWhy(356, 9, 65)).toBe(
      "the server's own path from each message's instant to its write took 356 µs at the p50, 5.5 × the floor's whole trip (65 µs), 9 µs of it the publisher's lateness",
    );
    expect(handoffWhy(null, 9, 65)).toBeUndefined();
    expect(memoryWhy(8600, 8000, 4800, 3153)).toBe(
      "the V8 heap holds 3,153 B of its 8,600 B; 600 B over the goal, within the figure's own bound of 4,800 B",
    );
    expect(memoryWhy(14000, 10000, 3357)).toBe("4,000 B over the goal, beyond the figure's own bound of 3,357 B");
    expect(memoryWhy(10695, 18600, 3357)).toBe("7,905 B under the goal, beyond the figure's own bound of 3,357 B");
    expect(memoryWhy(5000, 6000, 4381)).toBe("1,000 B under the goal, within the figure's own bound of 4,381 B");
    expect(memoryWhy(5000, 6000, null)).toBe('1,000 B under the goal');
    expect(memoryWhy(6000, 6000, 4381)).toBe("at the goal, within the figure's own bound of 4,381 B");
    expect(memoryWhy(null, 10000, 3357)).toBeUndefined();
  });

  it("says what a memory figure's library costs alone, and what the reference server holds beyond it", () => {
    const peer = { serverBytes: 8035, serverHeapBytes: 2934 };
    expect(libraryWhy('`ws` WebSocketServer', peer, 3928, { rssBytes: 9500, heapBytes: 3148 })).toBe(
      'a bare `ws` WebSocketServer (the library alone, nothing of connbench) holds 8,035 B a connection (2,934 B of it heap), ' +
        '2.046 × the bare net server; the reference server holds 1,465 B more and 214 B more heap',
    );
    expect(libraryWhy('x', peer, 3928, { rssBytes: 8000, heapBytes: null })).toMatch(/; the reference server holds 35 B less$/);
    expect(libraryWhy('x', peer, 3928, { rssBytes: null, heapBytes: 3000 })).toMatch(/2\.046 × the bare net server$/);
    expect(libraryWhy('x', peer, 0, { rssBytes: 9000, heapBytes: 2000 })).toMatch(
      /heap\), and the bare net server held nothing to compare; .* 934 B less heap$/,
    );
  });
});
