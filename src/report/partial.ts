import type { ModelResult } from './result.js';

/** The row of a model that did not finish (failed or interrupted): counts are zero, the error says why. */
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
    latencyMs: { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 },
    histogram: '',
    connectMs: { p50: 0, p99: 0, max: 0 },
    deliveriesPerSec: 0,
    server: {
      rssPerConnectionBytes: 0,
      heapPerConnectionBytes: 0,
      kernelPerConnectionBytes: null,
      cpuPercent: 0,
      cpuUsPerMessage: 0,
      peakRssBytes: 0,
      openSockets: 0,
      deadPeers: 0,
    },
    client: { workers: 0, rssPerClientBytes: 0, cpuPercent: 0, cpuUsPerMessage: 0, eventLoopDelayP99Ms: 0, peakRssBytes: 0 },
    wire: { serverBytesPerMessage: 0, serverReceivedBytesPerMessage: 0, requestsPerMessage: 0, heartbeatBytesPerConnectionPerMinute: 0 },
    timing: { rampUpMs: 0, measuredMs: 0, drainMs: 0 },
    error,
  };
}
