import type { ModelResult } from './result.js';

/** The row of a model that did not finish (failed or interrupted): counts are zero, every figure null (not measured), the error says why. */
export function unfinishedModelResult(
  model: string,
  matrix: Record<string, number | string>,
  target: number,
  error: { code: string; message: string },
  complete: boolean,
): ModelResult {
  return {
    model,
    matrix,
    status: 'failed',
    statusReason: error.message,
    complete,
    clients: { target, connected: 0, failed: 0 },
    reconnects: 0,
    errors: { [error.code]: 1 },
    messages: { published: 0, expected: 0, delivered: 0, lost: 0, duplicates: 0, reordered: 0 },
    latencyMs: { p50: null, p90: null, p99: null, p999: null, max: null, mean: null, count: 0 },
    histogram: '',
    connectMs: { p50: null, p99: null, max: null },
    deliveriesPerSec: null,
    server: {
      rssPerConnectionBytes: null,
      heapPerConnectionBytes: null,
      kernelPerConnectionBytes: null,
      cpuPercent: null,
      cpuUsPerMessage: null,
      peakRssBytes: null,
      openSockets: null,
      deadPeers: 0,
      slowReaderCuts: 0,
    },
    client: { workers: 0, rssPerClientBytes: null, cpuPercent: null, cpuUsPerMessage: null, eventLoopDelayP99Ms: null, peakRssBytes: null },
    wire: {
      serverBytesPerMessage: null,
      serverReceivedBytesPerMessage: null,
      requestsPerMessage: null,
      heartbeatBytesPerConnectionPerMinute: null,
    },
    timing: { rampUpMs: 0, measuredMs: 0, drainMs: 0 },
    error,
  };
}
