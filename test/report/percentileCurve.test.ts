import { beforeAll, describe, expect, it } from 'vitest';
import { percentileCurve } from '../../src/report/percentileCurve.js';
import { createHistogram, encodeHistogram, initHistograms } from '../../src/metrics/histogram.js';

beforeAll(async () => {
  await initHistograms();
});

describe('percentileCurve', () => {
  it('places p0, p90, p99 at x = 1, 10, 100 and ends at the maximum', () => {
    const h = createHistogram();
    for (let v = 1; v <= 1000; v++) h.recordValue(v * 1000); // 1..1000 ms
    const points = percentileCurve(encodeHistogram(h));
    const at = (x: number) => points.find((p) => Math.abs(p.x - x) < 1e-9)!.y;
    expect(at(1)).toBeCloseTo(1, 1);
    expect(at(10)).toBeCloseTo(900, -1);
    expect(at(100)).toBeCloseTo(990, -1);
    const last = points[points.length - 1]!;
    expect(last.x).toBe(1000);
    expect(last.y).toBeCloseTo(1000, -1); // the maximum, to the histogram's 3 significant digits
    for (let i = 1; i < points.length; i++) {
      expect(points[i]!.x).toBeGreaterThan(points[i - 1]!.x);
      expect(points[i]!.y).toBeGreaterThanOrEqual(points[i - 1]!.y);
    }
  });

  it('is empty for an empty or missing histogram', () => {
    expect(percentileCurve('')).toEqual([]);
    expect(percentileCurve(encodeHistogram(createHistogram()))).toEqual([]);
  });
});
