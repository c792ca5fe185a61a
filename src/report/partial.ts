import type { ConnectionFigures, ModelResult, ProxyFigures, TimesMs, TlsFigures } from './result.js';

const NOT_TIMED: TimesMs = { p50: null, p99: null, max: null };

/** The transport figures of a row that measured none (a failed row, a result written before they existed). */
export function unmeasuredTransport(): {
  tls: TlsFigures;
  connections: ConnectionFigures;
  proxy: ProxyFigures;
  tcp: TimesMs;
  tlsTimes: TimesMs;
} {
  return {
    tls: {
      enabled: false,
      protocol: null,
      cipher: null,
      handshakes: 0,
      resumedFraction: null,
      fullHandshakeMs: { ...NOT_TIMED },
      resumedHandshakeMs: { ...NOT_TIMED },
      serverErrors: {},
    },
    connections: { opened: 0, openedPerSec: null, timeWaitServer: null, timeWaitClient: null },
    proxy: { kind: 'none', version: null, rssPerConnectionBytes: null, cpuUsPerMessage: null, cpuPercent: null, peakRssBytes: null },
    tcp: { ...NOT_TIMED },
    tlsTimes: { ...NOT_TIMED },
  };
}

/** The row of a model that did not finish (failed or interrupted): counts are zero, every figure null (not measured), the error says why. */
export function unfinishedModelResult(
  model: string,
  matrix: Record<string, number | string>,
  target: number,
  error: { code: string; message: string },
  complete: boolean,
): ModelResult {
  const t = unmeasuredTransport();
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
    connectMs: { p50: null, p99: null, max: null, tcp: t.tcp, tls: t.tlsTimes },
    deliveriesPerSec: null,
    tls: t.tls,
    connections: t.connections,
    proxy: t.proxy,
    server: {
      rssPerConnectionBytes: null,
      heapPerConnectionBytes: null,
      kernelPerConnectionBytes: null,
      cpuPercent: null,
      cpuUsPerMessage: null,
      publishSpinCpuUsPerMessage: null,
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
