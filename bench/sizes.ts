import type { ShortPollSize } from './figures/shortPoll.js';
import type { MemorySize } from './figures/memory.js';
import type { LatencySize } from './figures/latency.js';
import type { BroadcastSize } from './figures/broadcast.js';
import type { PublisherLagSize } from './figures/publisherLag.js';
import type { TlsSize } from './figures/tlsCost.js';

export interface BenchSizes {
  shortPoll: ShortPollSize;
  memory: MemorySize;
  latency: LatencySize;
  broadcast: BroadcastSize;
  publisherLag: PublisherLagSize;
  /** Idle TLS connections per model, against bare `tls`. */
  tls: TlsSize;
  /** Calls timed for the cost of one histogram record. */
  histogramRecords: number;
}

/** `npm run bench`: a few minutes on the 2-core machine. */
export const FULL: BenchSizes = {
  shortPoll: { connections: 50, warmupMs: 1000, durationMs: 5000 },
  memory: { connections: 5000, rampUpMs: 2500 },
  latency: {
    ratePerSec: 100,
    warmupMs: 1000,
    durationMs: 5000,
    payloadBytes: 128,
    floorFrames: 300,
    hot: { ratePerSec: 1000, durationMs: 3000, floorFrames: 3000 },
  },
  broadcast: { clients: 5000, messages: 100, payloadBytes: 128, rampUpMs: 2500, pairs: 3 },
  // 100/s comes from the latency runs; 10/s long enough for its p99 to be more than the maximum of a few.
  publisherLag: {
    runs: [
      { ratePerSec: 10, durationMs: 10_000 },
      { ratePerSec: 1000, durationMs: 3000 },
    ],
    payloadBytes: 128,
  },
  tls: { connections: 2000, rampUpMs: 2500 },
  histogramRecords: 2_000_000,
};

/**
 * The smoke test's: every mechanism once, in seconds. The publisher-lateness figures are p99s, so
 * their windows hold more than the 100 messages a p99 needs to be a figure (src/metrics/histogram.ts).
 */
export const SMOKE: BenchSizes = {
  shortPoll: { connections: 4, warmupMs: 100, durationMs: 300 },
  memory: { connections: 20, rampUpMs: 100 },
  latency: {
    ratePerSec: 50,
    warmupMs: 100,
    durationMs: 2200,
    payloadBytes: 64,
    floorFrames: 30,
    hot: { ratePerSec: 500, durationMs: 400, floorFrames: 100 },
  },
  broadcast: { clients: 20, messages: 5, payloadBytes: 64, rampUpMs: 100, pairs: 3 },
  publisherLag: { runs: [{ ratePerSec: 200, durationMs: 600 }], payloadBytes: 64 },
  tls: { connections: 20, rampUpMs: 100 },
  histogramRecords: 10_000,
};
