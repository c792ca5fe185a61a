import * as hdr from 'hdr-histogram-js';

/**
 * Latency histograms: integer microseconds in hdr-histogram-js (WASM build), 3 significant digits,
 * no after-the-fact correction (the publisher's scheduled timestamps already avoid coordinated
 * omission). Encoded as base64 compressed HDR for the result JSON and IPC.
 */
export type Histogram = hdr.Histogram;

let wasmReady = false;

/** Loads the WASM build once per process; call before the first histogram. */
export async function initHistograms(): Promise<void> {
  if (wasmReady) return;
  await hdr.initWebAssembly();
  wasmReady = true;
}

export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: wasmReady,
  });
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(base64: string): Histogram {
  return hdr.decodeFromCompressedBase64(base64, 32, wasmReady);
}

/** Merges encoded histograms (one per worker or per repeat) into one. */
export function mergeEncoded(encoded: string[]): Histogram {
  const total = createHistogram();
  for (const e of encoded) {
    if (!e) continue;
    const h = decodeHistogram(e);
    total.add(h);
    h.destroy();
  }
  return total;
}

export interface LatencySummaryMs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  count: number;
}

/** Percentiles in milliseconds from a microsecond histogram. Pure over the histogram. */
export function summarizeMs(h: Histogram): LatencySummaryMs {
  const count = h.totalCount;
  const ms = (us: number) => (count === 0 ? 0 : Math.round(us) / 1000);
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: count === 0 ? 0 : Math.round(h.mean) / 1000,
    count,
  };
}
