import { describe, expect, it } from 'vitest';
import { crossedNever, figure } from '../../bench/figure.js';
import { renderFigures, renderMisses } from '../../bench/render.js';

const base = { id: 'x', title: 't', unit: 'requests/s', floorName: 'peer' } as const;

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
    const missed = figure({
      ...base,
      measured: 50,
      floor: 100,
      goal: { op: '>=', ratio: 1 },
      details: { clientCpuUsPerDelivery: 1.3, sseClient: 'lean' },
    });
    const met = figure({
      ...base,
      id: 'm',
      title: 'memory',
      unit: 'bytes/connection',
      measured: 10,
      floor: 10,
      goal: { op: '<=', ratio: 2 },
    });
    expect(renderMisses([missed, met])).toBe('missed: t (0.5, goal >= 1): clientCpuUsPerDelivery 1.3, sseClient lean');
    expect(renderMisses([met])).toBe('every goal met');
  });
});
