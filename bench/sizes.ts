import type { ShortPollSize } from './figures/shortPoll.js';
import type { MemorySize } from './figures/memory.js';
import type { LatencySize } from './figures/latency.js';
import type { BroadcastSize } from './figures/broadcast.js';

export interface BenchSizes {
  shortPoll: ShortPollSize;
  memory: MemorySize;
  latency: LatencySize;
  broadcast: BroadcastSize;
  /** Calls timed for the cost of one histogram record. */
  histogramRecords: number;
}

/** `npm run bench`: a few minutes on the 2-core machine. */
export const FULL: BenchSizes = {
  shortPoll: { connections: 50, warmupMs: 1000, durationMs: 5000 },
  memory: { connections: 5000, rampUpMs: 2500 },
  latency: { ratePerSec: 100, warmupMs: 1000, durationMs: 5000, payloadBytes: 128 },
  broadcast: { clients: 5000, messages: 100, payloadBytes: 128, rampUpMs: 2500 },
  histogramRecords: 2_000_000,
};

/** The smoke test's: every mechanism once, in seconds. */
export const SMOKE: BenchSizes = {
  shortPoll: { connections: 4, warmupMs: 100, durationMs: 300 },
  memory: { connections: 20, rampUpMs: 100 },
  latency: { ratePerSec: 50, warmupMs: 100, durationMs: 300, payloadBytes: 64 },
  broadcast: { clients: 20, messages: 5, payloadBytes: 64, rampUpMs: 100 },
  histogramRecords: 10_000,
};
