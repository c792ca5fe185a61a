import { beforeAll, describe, expect, it } from 'vitest';
import {
  LatencyRecorder,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  initHistograms,
  summarizeMs,
} from '../../src/metrics/histogram.js';

beforeAll(() => initHistograms());

/** A fixed LCG, so a failure names values that can be replayed. */
function values(n: number, seed: number, maxUs: number): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    // Spread over every magnitude, as latencies are.
    out.push(1 + Math.floor(Math.exp((x / 2 ** 31) * Math.log(maxUs))));
  }
  return out;
}

describe('LatencyRecorder', () => {
  it.each([
    [1, 1, 2000],
    [20_000, 7, 5_000_000],
    [5000, 99, 4_000_000_000],
    [3, 5, 1_000_000],
  ])('gives the histogram per-value recording gives (%i values, seed %i, up to %i µs)', (n, seed, maxUs) => {
    const direct = createHistogram();
    const recorder = new LatencyRecorder();
    // Bucket edges too: the last unit bucket, the first doubled one, and a power of two.
    const all = [...values(n, seed, maxUs), 2047, 2048, 2049, 4095, 4096, 1 << 20, 0xffffffff];
    all.forEach((v, i) => {
      direct.recordValue(v);
      recorder.recordValue(v);
      // Flushed midway too, as at a sample: nothing is counted twice.
      if (i === Math.floor(all.length / 2)) recorder.flush();
    });
    const flushed = recorder.flush();
    expect(flushed.totalCount).toBe(direct.totalCount);
    expect(flushed.maxValue).toBe(direct.maxValue);
    expect(flushed.minNonZeroValue).toBe(direct.minNonZeroValue);
    expect(summarizeMs(flushed)).toEqual(summarizeMs(direct));
    expect(encodeHistogram(recorder)).toBe(encodeHistogram(direct));
    const decoded = decodeHistogram(encodeHistogram(recorder));
    expect(summarizeMs(decoded)).toEqual(summarizeMs(direct));
    direct.destroy();
    decoded.destroy();
    recorder.histogram.destroy();
  });

  it('passes values outside its index range straight to the histogram', () => {
    const recorder = new LatencyRecorder();
    recorder.recordValue(0);
    recorder.recordValue(2 ** 33);
    expect(recorder.histogram.totalCount).toBe(2);
    recorder.recordValue(5);
    expect(recorder.histogram.totalCount).toBe(2);
    expect(recorder.flush().totalCount).toBe(3);
    recorder.histogram.destroy();
  });
});
