import type * as Hdr from 'hdr-histogram-js';
import { lazyPackage } from '../util/lazyPackage.js';

// Loaded with the first histogram (initHistograms): `validate`, `list` and `schema` never need it.
const hdr = lazyPackage<typeof Hdr>('hdr-histogram-js');

/**
 * Latency histograms: integer microseconds in hdr-histogram-js (WASM build), 3 significant digits,
 * no after-the-fact correction (the publisher's scheduled timestamps already avoid coordinated
 * omission). Encoded as base64 compressed HDR for the result JSON and IPC.
 */
export type Histogram = Hdr.Histogram;

let wasmReady = false;

/** Loads the WASM build once per process; call before the first histogram. */
export async function initHistograms(): Promise<void> {
  if (wasmReady) return;
  await hdr().initWebAssembly();
  wasmReady = true;
}

/**
 * Loads the histogram package now, without the WebAssembly build: for a process whose first
 * histogram is made where loading it (57 ms) would stall something measured (the server's publisher).
 */
export function loadHistograms(): void {
  hdr();
}

/**
 * The layout of every latency histogram: histograms add up exactly only when they share it (the
 * same lowest value and significant digits), so results that carry histograms record it.
 */
export const HISTOGRAM_LAYOUT = { lowestUs: 1, highestUs: 3_600_000_000, significantDigits: 3 } as const;

export function createHistogram(): Histogram {
  return hdr().build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: HISTOGRAM_LAYOUT.lowestUs,
    highestTrackableValue: HISTOGRAM_LAYOUT.highestUs,
    numberOfSignificantValueDigits: HISTOGRAM_LAYOUT.significantDigits,
    useWebAssembly: wasmReady,
  });
}

/** Encodes a histogram, or what a recorder has gathered (flushed first). */
export function encodeHistogram(h: Histogram | LatencyRecorder): string {
  return hdr().encodeIntoCompressedBase64(h instanceof LatencyRecorder ? h.flush() : h);
}

/**
 * The HDR bucket layout of createHistogram() (lowest value 1, 3 significant digits): 2048 unit
 * sub-buckets below 2048, then 1024 per power of two. LatencyRecorder indexes values as
 * hdr-histogram-js does (countsArrayIndex), for every value below 2^32 µs (71 minutes).
 */
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = Math.ceil(Math.log2(2 * 10 ** 3)) - 1;
const SUB_BUCKET_HALF_COUNT = 2 ** SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const RECORDER_INDEXES = (32 - SUB_BUCKET_HALF_COUNT_MAGNITUDE) * SUB_BUCKET_HALF_COUNT + SUB_BUCKET_HALF_COUNT;

function indexOfValue(v: number): number {
  const bucket = Math.max(31 - Math.clz32(v) - SUB_BUCKET_HALF_COUNT_MAGNITUDE, 0);
  return (bucket << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (v >>> bucket);
}

/** The lowest value of an index's bucket: recorded into the same bucket. */
function valueOfIndex(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/**
 * Records latencies without a call into the WASM histogram per value: a value only bumps a count
 * in a plain typed array of HDR bucket indexes; flush() adds each touched bucket to the histogram
 * with one call. A client records every delivery, hundreds of thousands a second in a broadcast,
 * and the JavaScript-to-WASM call was most of the recording's cost. The histogram that comes out
 * is the one per-value recording gives: the same counts in the same buckets, the exact min and max.
 */
export class LatencyRecorder {
  // Made on first use: the arrays are 184 KiB and a histogram 96 KiB of WebAssembly
  // memory, and a worker makes its recorders after the runner's memory baseline, where memory made
  // for the worker would count as memory per connection until the first value comes.
  private made: Histogram | undefined;
  private counts: Uint32Array | undefined;
  private touched: Uint32Array | undefined;
  private touchedCount = 0;
  private pending = 0;
  private minValue = Infinity;
  private maxValue = 0;

  constructor(histogram?: Histogram) {
    this.made = histogram;
  }

  /**
   * A recorder with its histogram and arrays made now: for one whose first value must not wait for
   * them (the publisher records inside each message's path, where a first-use allocation would make
   * that message late).
   */
  static ready(): LatencyRecorder {
    const r = new LatencyRecorder(createHistogram());
    r.makeArrays();
    return r;
  }

  /** The histogram flush() adds to. */
  get histogram(): Histogram {
    return (this.made ??= createHistogram());
  }

  /** Integer microseconds, as Histogram.recordValue takes them. */
  recordValue(us: number): void {
    const v = Math.trunc(us);
    if (!(v >= 1 && v <= 0xffffffff)) return this.histogram.recordValue(us);
    const index = indexOfValue(v);
    const counts = this.counts ?? this.makeArrays();
    if (counts[index]++ === 0) this.touched![this.touchedCount++] = index;
    if (v > this.maxValue) this.maxValue = v;
    if (v < this.minValue) this.minValue = v;
    // Far below the 2^32 a count can hold.
    if (++this.pending === 0x7fffffff) this.flush();
  }

  /** Adds everything recorded since the last flush to the histogram, and returns the histogram. */
  flush(): Histogram {
    if (this.touchedCount === 0) return this.histogram;
    const minIndex = indexOfValue(this.minValue);
    const maxIndex = indexOfValue(this.maxValue);
    const counts = this.counts!;
    const touched = this.touched!;
    const histogram = this.histogram;
    for (let i = 0; i < this.touchedCount; i++) {
      const index = touched[i]!;
      // The buckets of the extremes are recorded at the extremes, so min and max stay exact.
      const value = index === maxIndex ? this.maxValue : index === minIndex ? this.minValue : valueOfIndex(index);
      histogram.recordValueWithCount(value, counts[index]!);
      counts[index] = 0;
    }
    this.touchedCount = 0;
    this.pending = 0;
    this.minValue = Infinity;
    this.maxValue = 0;
    return histogram;
  }

  private makeArrays(): Uint32Array {
    this.touched = new Uint32Array(RECORDER_INDEXES);
    return (this.counts = new Uint32Array(RECORDER_INDEXES));
  }
}

export function decodeHistogram(base64: string): Histogram {
  return hdr().decodeFromCompressedBase64(base64, 32, wasmReady);
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

/** A summary's figures; each is null when it was computed from too few samples (see samplesFor). */
export interface LatencySummaryMs {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
  count: number;
}

/**
 * The fewest samples a percentile is a figure of its own with: the p-th percentile of fewer than
 * 1 / (1 - p) samples is the maximum under another name (a p99 of 40 deliveries is their largest),
 * so it is not reported (p50: 2, p90: 10, p99: 100, p99.9: 1000). The maximum and the mean need one.
 */
export function samplesFor(percentile: number): number {
  return Math.ceil(1 / (1 - percentile / 100) - 1e-9);
}

/** Percentiles in milliseconds from a microsecond histogram, null where too few samples. Pure over the histogram. */
export function summarizeMs(h: Histogram): LatencySummaryMs {
  const count = h.totalCount;
  const ms = (us: number) => Math.round(us) / 1000;
  const at = (p: number) => (count >= samplesFor(p) ? ms(h.getValueAtPercentile(p)) : null);
  return {
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: count > 0 ? ms(h.maxValue) : null,
    mean: count > 0 ? Math.round(h.mean) / 1000 : null,
    count,
  };
}
