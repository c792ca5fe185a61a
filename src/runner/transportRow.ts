import type { ConnectionFigures, ModelResult, ProxyFigures, TimesMs, TlsFigures } from '../report/result.js';
import type { TransportReport } from '../ipc/worker.js';
import type { TreeSample } from '../metrics/processTree.js';
import { mergeEncoded, samplesFor } from '../metrics/histogram.js';
import { unmeasuredTransport } from '../report/partial.js';

/** The intermediary's processes sampled as the runner samples its own (src/runner/runModel.ts). */
export interface RawProxy {
  kind: ProxyFigures['kind'];
  version: string | null;
  /** Before any client connected, and with all connected and settled. */
  base?: TreeSample;
  connected?: TreeSample;
  measureStart?: TreeSample;
  measureEnd?: TreeSample;
  peakRssBytes: number;
}

/** What the run saw of its connections, for the row's transport figures. */
export interface RawTransport {
  tlsEnabled: boolean;
  /** Every worker's report of its clients' connections. */
  reports: TransportReport[];
  /** Connections the clients had opened at the start and end of the measured window. */
  openedAtStart: number;
  openedAtEnd: number;
  /** TIME_WAIT at the end of the window, by side; the server's side absent when it runs on another host. */
  timeWait: { server?: number; client: number } | undefined;
  /** The server's counters at the end, summed over its processes (tlsClientErrors.<code>). */
  serverCounters: Record<string, number>;
  proxy: RawProxy;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** p50/p99/max of µs histograms (one per worker), in ms; each null with too few samples for it (samplesFor), as every percentile of a row. */
function timesOf(encoded: string[]): TimesMs {
  const h = mergeEncoded(encoded);
  try {
    const n = h.totalCount;
    const ms = (us: number) => Math.round(us) / 1000;
    const at = (p: number) => (n >= samplesFor(p) ? ms(h.getValueAtPercentile(p)) : null);
    return { p50: at(50), p99: at(99), max: n > 0 ? ms(h.maxValue) : null };
  } finally {
    h.destroy();
  }
}

function tlsFigures(t: RawTransport): TlsFigures {
  const none = unmeasuredTransport().tls;
  if (!t.tlsEnabled) return none;
  const handshakes = t.reports.reduce((a, r) => a + r.handshakes, 0);
  const resumed = t.reports.reduce((a, r) => a + r.resumed, 0);
  const first = t.reports.find((r) => r.protocol);
  const serverErrors: Record<string, number> = {};
  for (const [name, n] of Object.entries(t.serverCounters))
    if (name.startsWith('tlsClientErrors.')) serverErrors[name.slice('tlsClientErrors.'.length)] = n;
  return {
    enabled: true,
    protocol: first?.protocol ?? null,
    cipher: first?.cipher ?? null,
    handshakes,
    resumedFraction: handshakes > 0 ? round(resumed / handshakes, 3) : null,
    fullHandshakeMs: timesOf(t.reports.map((r) => r.tlsFullHistogram)),
    resumedHandshakeMs: timesOf(t.reports.map((r) => r.tlsResumedHistogram)),
    serverErrors,
  };
}

function connectionFigures(t: RawTransport, windowMs: number): ConnectionFigures {
  return {
    opened: t.reports.reduce((a, r) => a + r.opened, 0),
    openedPerSec: windowMs > 0 ? round(((t.openedAtEnd - t.openedAtStart) * 1000) / windowMs, 1) : null,
    timeWaitServer: t.timeWait?.server ?? null,
    timeWaitClient: t.timeWait?.client ?? null,
  };
}

function proxyFigures(p: RawProxy, connected: number, deliveries: number): ProxyFigures {
  const none = unmeasuredTransport().proxy;
  if (p.kind === 'none') return none;
  const { base, connected: held, measureStart: a, measureEnd: b } = p;
  const windowUs = a && b ? b.atUs - a.atUs : 0;
  const cpuUs = a && b ? b.cpuUs - a.cpuUs : undefined;
  return {
    kind: p.kind,
    version: p.version,
    rssPerConnectionBytes: base && held && connected > 0 ? Math.round((held.rssBytes - base.rssBytes) / connected) : null,
    cpuUsPerMessage: cpuUs !== undefined && deliveries > 0 ? round(cpuUs / deliveries, 2) : null,
    cpuPercent: cpuUs !== undefined && windowUs > 0 ? round((100 * cpuUs) / windowUs, 1) : null,
    peakRssBytes: p.peakRssBytes > 0 ? p.peakRssBytes : null,
  };
}

/** The row's transport figures from what the run saw. Pure (but for histogram decoding). */
export function transportFigures(
  t: RawTransport,
  o: { connected: number; deliveries: number; windowMs: number },
): Pick<ModelResult, 'tls' | 'connections' | 'proxy'> & { tcp: TimesMs; tlsTimes: TimesMs } {
  return {
    tls: tlsFigures(t),
    connections: connectionFigures(t, o.windowMs),
    proxy: proxyFigures(t.proxy, o.connected, o.deliveries),
    tcp: timesOf(t.reports.map((r) => r.tcpHistogram)),
    tlsTimes: t.tlsEnabled
      ? timesOf(t.reports.flatMap((r) => [r.tlsFullHistogram, r.tlsResumedHistogram]))
      : unmeasuredTransport().tlsTimes,
  };
}
