import type { ModelResult } from './result.js';
import { samplesFor } from '../metrics/histogram.js';
import { unmeasuredTransport } from './partial.js';

/**
 * A row of schemaVersion 1, 2 or 3 as version 4 states it: they wrote 0 where a figure had nothing
 * behind it (a percentile of no deliveries, memory per connection with none connected, any
 * figure of a row that did not finish); version 4 writes null, which compare and thresholds treat
 * as "cannot compare". The counts that decide it are in the row itself. Pure.
 */
export function upgradeRowWithZeros(r: ModelResult): ModelResult {
  const rules = nullRules(r);
  return {
    ...r,
    latencyMs: upgradedLatency(r, rules),
    connectMs: upgradedConnect(r, rules),
    deliveriesPerSec: rules.when(true, r.deliveriesPerSec),
    server: upgradedServer(r, rules),
    client: upgradedClient(r, rules),
    wire: upgradedWire(r, rules),
    ...(r.repeats ? { repeats: r.repeats.map(upgradeRowWithZeros) } : {}),
  };
}

/**
 * When a figure of the row had nothing behind it: every figure of a failed row; a percentile of
 * fewer samples than it needs; per connection with none connected; per message with none delivered.
 */
function nullRules(r: ModelResult) {
  const failed = r.status === 'failed';
  const n = r.latencyMs.count;
  const connected = r.clients.connected;
  const when = (measured: boolean, v: number | null) => (failed || !measured ? null : v);
  return {
    n,
    connected,
    when,
    pct: (count: number, p: number, v: number | null) => when(count >= samplesFor(p), v),
    perConnection: (v: number | null) => when(connected > 0, v),
    perMessage: (v: number | null) => when(n > 0, v),
    // A bound (version 2) goes with its figure; absent stays absent.
    bound: (measured: boolean, v: number | null | undefined) => (v === undefined ? {} : { v: when(measured, v) }),
  };
}

type NullRules = ReturnType<typeof nullRules>;

function upgradedLatency(r: ModelResult, { n, when, pct }: NullRules): ModelResult['latencyMs'] {
  return {
    p50: pct(n, 50, r.latencyMs.p50),
    p90: pct(n, 90, r.latencyMs.p90),
    p99: pct(n, 99, r.latencyMs.p99),
    p999: pct(n, 99.9, r.latencyMs.p999),
    max: when(n > 0, r.latencyMs.max),
    mean: when(n > 0, r.latencyMs.mean),
    count: n,
  };
}

function upgradedConnect(r: ModelResult, { connected, when, pct }: NullRules): ModelResult['connectMs'] {
  return {
    ...r.connectMs,
    p50: pct(connected, 50, r.connectMs.p50),
    p99: pct(connected, 99, r.connectMs.p99),
    max: when(connected > 0, r.connectMs.max),
  };
}

function upgradedServer(r: ModelResult, { n, connected, when, perConnection, perMessage, bound }: NullRules): ModelResult['server'] {
  return {
    ...r.server,
    rssPerConnectionBytes: perConnection(r.server.rssPerConnectionBytes),
    heapPerConnectionBytes: perConnection(r.server.heapPerConnectionBytes),
    kernelPerConnectionBytes: perConnection(r.server.kernelPerConnectionBytes),
    cpuPercent: when(true, r.server.cpuPercent),
    cpuUsPerMessage: perMessage(r.server.cpuUsPerMessage),
    peakRssBytes: when(true, r.server.peakRssBytes),
    openSockets: when(true, r.server.openSockets),
    ...named('rssPerConnectionBytesBound', bound(connected > 0, r.server.rssPerConnectionBytesBound)),
    ...named('cpuUsPerMessageBound', bound(n > 0, r.server.cpuUsPerMessageBound)),
  };
}

function upgradedClient(r: ModelResult, { n, connected, when, perConnection, perMessage, bound }: NullRules): ModelResult['client'] {
  return {
    ...r.client,
    rssPerClientBytes: perConnection(r.client.rssPerClientBytes),
    cpuPercent: when(true, r.client.cpuPercent),
    cpuUsPerMessage: perMessage(r.client.cpuUsPerMessage),
    eventLoopDelayP99Ms: when(r.client.workers > 0, r.client.eventLoopDelayP99Ms),
    peakRssBytes: when(r.client.workers > 0, r.client.peakRssBytes),
    ...named('rssPerClientBytesBound', bound(connected > 0, r.client.rssPerClientBytesBound)),
    ...named('cpuUsPerMessageBound', bound(n > 0, r.client.cpuUsPerMessageBound)),
  };
}

function upgradedWire(r: ModelResult, { perConnection, perMessage }: NullRules): ModelResult['wire'] {
  return {
    serverBytesPerMessage: perMessage(r.wire.serverBytesPerMessage),
    serverReceivedBytesPerMessage: perMessage(r.wire.serverReceivedBytesPerMessage),
    requestsPerMessage: perMessage(r.wire.requestsPerMessage),
    heartbeatBytesPerConnectionPerMinute: perConnection(r.wire.heartbeatBytesPerConnectionPerMinute),
  };
}

/** `{ key: v }` from `{ v }`, or nothing from `{}`. */
function named<K extends string>(key: K, o: { v?: number | null }): Partial<Record<K, number | null>> {
  return 'v' in o ? ({ [key]: o.v } as Record<K, number | null>) : {};
}

/**
 * A row of schemaVersion 1 to 4 as version 5 states it: the transport figures 5 added (`tls`,
 * `connections`, `proxy`, `connectMs.tcp` and `.tls`) as not measured (no TLS, no proxy, null times
 * and TIME_WAIT, no connections counted), so every renderer and comparison reads it alike. Pure.
 */
export function upgradeRowWithoutTransport(r: ModelResult): ModelResult {
  const t = unmeasuredTransport();
  return {
    ...r,
    connectMs: { ...r.connectMs, tcp: r.connectMs.tcp ?? t.tcp, tls: r.connectMs.tls ?? t.tlsTimes },
    tls: r.tls ?? t.tls,
    connections: r.connections ?? t.connections,
    proxy: r.proxy ?? t.proxy,
    ...(r.repeats ? { repeats: r.repeats.map(upgradeRowWithoutTransport) } : {}),
  };
}
