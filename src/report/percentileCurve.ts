import { decodeHistogram } from '../metrics/histogram.js';

/**
 * The points of an HdrHistogram percentile plot: x = 1/(1-p) (1 at p0, 10 at p90, 100 at p99, …),
 * y = latency in ms at that percentile. Ten points per decade of x, up to the resolution the
 * sample count allows, then the maximum. Pure over the encoded histogram.
 */
export interface CurvePoint {
  x: number;
  y: number;
}

const POINTS_PER_DECADE = 10;
const MAX_DECADES = 6; // p99.9999: beyond any run connbench can do

export function percentileCurve(encodedUs: string): CurvePoint[] {
  if (!encodedUs) return [];
  const h = decodeHistogram(encodedUs);
  try {
    const count = h.totalCount;
    if (count === 0) return [];
    const points: CurvePoint[] = [];
    for (let k = 0; k <= MAX_DECADES * POINTS_PER_DECADE; k++) {
      const x = 10 ** (k / POINTS_PER_DECADE);
      if (x > count) break;
      const percentile = 100 * (1 - 1 / x);
      points.push({ x, y: h.getValueAtPercentile(percentile) / 1000 });
    }
    // The curve ends at the maximum: at x = count, 1/(1-p) has no finer resolution left.
    const last = points[points.length - 1];
    const maxMs = h.maxValue / 1000;
    if (last && last.x >= Math.min(count, 10 ** MAX_DECADES)) last.y = maxMs;
    else points.push({ x: Math.min(count, 10 ** MAX_DECADES), y: maxMs });
    return points;
  } finally {
    h.destroy();
  }
}
