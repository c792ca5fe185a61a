import type { ModelResult, ModelStatus, ProcessUsage, PublishTimesUs } from '../report/result.js';
import type { ResourceSample } from '../metrics/process.js';
import type { PublishTimes, WireBytes } from '../ipc/common.js';
import type { WorkerResult } from '../ipc/worker.js';
import { mergeEncoded, samplesFor, summarizeMs, encodeHistogram } from '../metrics/histogram.js';
import { cpuPerMessageBound, rssPerConnectionBound } from '../metrics/bounds.js';
import { transportFigures, type RawTransport } from './transportRow.js';
import { unmeasuredTransport } from '../report/partial.js';

/** A client worker whose event loop lags more than this at p99 cannot time deliveries honestly. */
export const CLIENT_BOUND_LOOP_DELAY_P99_MS = 50;
/** A client worker using more than this share of one core is saturated. */
export const CLIENT_BOUND_CPU_PERCENT = 90;

export interface ServerWindow {
  base: ResourceSample; // fresh server, after GC
  connected: ResourceSample; // all clients connected, after GC
  measureStart: ResourceSample;
  measureEnd: ResourceSample;
  wireStart: WireBytes;
  wireEnd: WireBytes;
  heartbeatBytesStart: number;
  heartbeatBytesEnd: number;
  /** Microseconds the publishers had spun at the window's edges (ServerFigures.publishSpinUs); absent from a server that does not say. */
  publishSpinUsStart?: number;
  publishSpinUsEnd?: number;
  peakRssBytes: number;
  /** Connections the server ended for a silent peer (ServerHost.deadPeer), over the whole run. */
  deadPeers?: number;
  /** Connections the server cut as slow readers (src/models/push/slowReader.ts), over the whole run. */
  slowReaderCuts?: number;
  kernelBaseBytes: number | undefined;
  kernelConnectedBytes: number | undefined;
}

export interface ClientWindow {
  base: ResourceSample[];
  connected: ResourceSample[];
  measureStart: ResourceSample[];
  measureEnd: ResourceSample[];
}

export interface RawModelRun {
  model: string;
  matrix: Record<string, number | string>;
  durationMs: number;
  rampUpMs: number;
  drainMs: number;
  published: number;
  workers: WorkerResult[];
  server: ServerWindow;
  client: ClientWindow;
  /** Every server process and client worker with its own peak memory and connections; copied to the row. */
  processes?: ProcessUsage[];
  /** The connections themselves: TLS, how many were opened, TIME_WAIT, the intermediary; absent: not measured. */
  transport?: RawTransport;
  /** Each process's repeated samples at both memory points, [process][sample]: the memory bounds. */
  memoryRepeats: {
    serverBase: ResourceSample[][];
    serverConnected: ResourceSample[][];
    clientBase: ResourceSample[][];
    clientConnected: ResourceSample[][];
  };
  idle: IdleCpu;
  /** Each server process's publisher lateness and handoff (encoded µs histograms); empty when nothing was published on a schedule. */
  publishTimes: PublishTimes;
  /** The workers busy-polled (scenario client.busyPoll): their CPU is the polling's, not the model's. */
  busyPoll?: boolean;
}

/** CPU the servers and the workers used while every client was connected and no message flowed. */
export interface IdleCpu {
  serverCpuUs: number;
  clientCpuUs: number;
  durationUs: number;
}

/**
 * Several server processes as one server: memory, CPU and sockets add up; the time is the latest
 * of theirs (they are sampled at the same moment, so the windows match to within an IPC round trip).
 */
export function sumSamples(samples: ResourceSample[]): ResourceSample {
  if (samples.length === 1) return samples[0]!;
  const add = (f: (s: ResourceSample) => number) => samples.reduce((a, s) => a + f(s), 0);
  return {
    pid: samples[0]?.pid ?? 0,
    rssBytes: add((s) => s.rssBytes),
    heapUsedBytes: add((s) => s.heapUsedBytes),
    cpuUserUs: add((s) => s.cpuUserUs),
    cpuSystemUs: add((s) => s.cpuSystemUs),
    atUs: samples.reduce((a, s) => Math.max(a, s.atUs), 0),
    openSockets: add((s) => s.openSockets),
  };
}

/** Wire counters of several server processes as one server's. */
export function sumWireBytes(all: WireBytes[]): WireBytes {
  return all.reduce(
    (a, w) => ({
      sentBytes: a.sentBytes + w.sentBytes,
      receivedBytes: a.receivedBytes + w.receivedBytes,
      httpRequests: a.httpRequests + w.httpRequests,
    }),
    {
      sentBytes: 0,
      receivedBytes: 0,
      httpRequests: 0,
    },
  );
}

const cpuUs = (s: ResourceSample) => s.cpuUserUs + s.cpuSystemUs;
/** num / den, rounded to `digits` decimals; null when there is nothing to divide by (no connection, no delivery). */
const per = (num: number, den: number, digits = 1): number | null =>
  den > 0 && Number.isFinite(num / den) ? Math.round((num / den) * 10 ** digits) / 10 ** digits : null;
const round = (x: number) => Math.round(x * 10) / 10;
const atLeast0 = (v: number | null) => (v === null ? null : Math.max(0, v));
/** A bound goes with its figure: null when the figure is. */
const boundOf = (figure: number | null, bound: number) => (figure === null ? null : bound);

/**
 * Turns what the processes reported into the result row. Pure over its input. A figure with
 * nothing to divide by (no client connected, no delivery in the window) is null, not 0.
 */
export function summarizeModelRun(raw: RawModelRun): ModelResult {
  const w = raw.workers;
  const sum = (f: (r: WorkerResult) => number) => w.reduce((a, r) => a + f(r), 0);
  const { latencyMs, connectSummary, histogram } = workerHistograms(w);
  const connected = sum((r) => r.connected);
  const measuredDeliveries = latencyMs.count;
  const s = raw.server;
  const windowUs = s.measureEnd.atUs - s.measureStart.atUs;
  const clientUse = clientWindowFigures(raw.client);
  const loopDelayP99Ms = w.reduce((a, r) => Math.max(a, r.eventLoopDelayP99Ms), 0);
  // A busy-polling worker uses a whole core by design: that is no sign of saturation.
  const { status, statusReason } = statusOfRun(connected, loopDelayP99Ms, raw.busyPoll ? 0 : clientUse.busiestCpuPercent);
  const bounds = boundsOf(raw, connected, measuredDeliveries, windowUs, clientUse.windowUs);
  const t = raw.transport
    ? transportFigures(raw.transport, { connected, deliveries: measuredDeliveries, windowMs: windowUs / 1000 })
    : unmeasuredTransport();

  const result: ModelResult = {
    model: raw.model,
    matrix: raw.matrix,
    status,
    complete: true,
    clients: { target: sum((r) => r.target), connected, failed: sum((r) => r.failed) },
    reconnects: sum((r) => r.reconnects),
    errors: summedErrors(w),
    messages: {
      published: raw.published,
      expected: sum((r) => r.expected),
      delivered: sum((r) => r.delivered),
      lost: sum((r) => r.lost),
      duplicates: sum((r) => r.duplicates),
      reordered: sum((r) => r.reordered),
    },
    latencyMs,
    histogram,
    connectMs: { p50: connectSummary.p50, p99: connectSummary.p99, max: connectSummary.max, tcp: t.tcp, tls: t.tlsTimes },
    deliveriesPerSec: per(measuredDeliveries, raw.durationMs / 1000),
    tls: t.tls,
    connections: t.connections,
    proxy: t.proxy,
    server: serverFigures(
      s,
      connected,
      measuredDeliveries,
      windowUs,
      bounds,
      publishTimesOf(raw.publishTimes.lags),
      publishTimesOf(raw.publishTimes.handoffs),
    ),
    client: clientFigures(w, clientUse, connected, measuredDeliveries, loopDelayP99Ms, bounds, raw.busyPoll === true),
    wire: wireFigures(s, connected, measuredDeliveries, windowUs),
    timing: { rampUpMs: raw.rampUpMs, measuredMs: raw.durationMs, drainMs: raw.drainMs },
  };
  if (statusReason) result.statusReason = statusReason;
  if (raw.processes) result.processes = raw.processes;
  return result;
}

/** The workers' delivery latencies and connect times merged: their summaries in ms, and the encoded latency histogram. */
function workerHistograms(w: WorkerResult[]) {
  const latency = mergeEncoded(w.map((r) => r.histogram));
  const connect = mergeEncoded(w.map((r) => r.connectHistogram));
  const latencyMs = summarizeMs(latency);
  const connectSummary = summarizeMs(connect);
  const histogram = encodeHistogram(latency);
  latency.destroy();
  connect.destroy();
  return { latencyMs, connectSummary, histogram };
}

/** What the client workers used: CPU µs and the longest window µs of the measured window, RSS bytes the connections added, the busiest worker's CPU %. */
function clientWindowFigures(c: ClientWindow) {
  const cpuUsedUs = (e: ResourceSample, i: number) => cpuUs(e) - cpuUs(c.measureStart[i]!);
  const spanUs = (e: ResourceSample, i: number) => e.atUs - c.measureStart[i]!.atUs;
  return {
    cpuUs: c.measureEnd.reduce((a, e, i) => a + cpuUsedUs(e, i), 0),
    windowUs: c.measureEnd.reduce((a, e, i) => Math.max(a, spanUs(e, i)), 0),
    rssDeltaBytes: c.connected.reduce((a, e, i) => a + e.rssBytes - c.base[i]!.rssBytes, 0),
    busiestCpuPercent: c.measureEnd.reduce((a, e, i) => Math.max(a, (100 * cpuUsedUs(e, i)) / Math.max(1, spanUs(e, i))), 0),
  };
}

/** Every worker's error counts added up by code. */
function summedErrors(w: WorkerResult[]): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const r of w) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  return errors;
}

/** failed with no client connected, client-bound when a worker was saturated, else ok. */
function statusOfRun(
  connected: number,
  loopDelayP99Ms: number,
  busiestClientCpuPercent: number,
): { status: ModelStatus; statusReason?: string } {
  if (connected === 0) return { status: 'failed', statusReason: 'no client could connect' };
  if (loopDelayP99Ms > CLIENT_BOUND_LOOP_DELAY_P99_MS || busiestClientCpuPercent > CLIENT_BOUND_CPU_PERCENT)
    return {
      status: 'client-bound',
      statusReason: `a client worker was saturated (event-loop delay p99 ${round(loopDelayP99Ms)} ms, CPU ${round(busiestClientCpuPercent)} %): the figures describe connbench's generator, not the model`,
    };
  return { status: 'ok' };
}

/**
 * The row's `client` figures: per client null with none connected, per message null with none
 * delivered. Busy-polling workers' CPU is the polling's: none of it is reported, and the row says why.
 */
function clientFigures(
  w: WorkerResult[],
  use: ReturnType<typeof clientWindowFigures>,
  connected: number,
  deliveries: number,
  loopDelayP99Ms: number,
  bounds: ReturnType<typeof boundsOf>,
  busyPoll: boolean,
): ModelResult['client'] {
  const rssPerClientBytes = per(use.rssDeltaBytes, connected, 0);
  const cpuUsPerMessage = busyPoll ? null : per(use.cpuUs, deliveries, 2);
  return {
    workers: w.length,
    rssPerClientBytes,
    rssPerClientBytesBound: boundOf(rssPerClientBytes, bounds.clientRss),
    cpuPercent: busyPoll ? null : per(100 * use.cpuUs, use.windowUs),
    cpuUsPerMessage,
    cpuUsPerMessageBound: boundOf(cpuUsPerMessage, bounds.clientCpu),
    eventLoopDelayP99Ms: w.length > 0 ? loopDelayP99Ms : null,
    peakRssBytes: w.length > 0 ? w.reduce((a, r) => Math.max(a, r.peakRssBytes), 0) : null,
    ...(busyPoll ? { busyPoll: true as const } : {}),
  };
}

/** The row's `wire` figures: the server's bytes and requests per delivery, heartbeat bytes per connection per minute. */
function wireFigures(s: ServerWindow, connected: number, deliveries: number, windowUs: number): ModelResult['wire'] {
  const minutes = windowUs / 60e6;
  return {
    serverBytesPerMessage: per(s.wireEnd.sentBytes - s.wireStart.sentBytes, deliveries),
    serverReceivedBytesPerMessage: per(s.wireEnd.receivedBytes - s.wireStart.receivedBytes, deliveries),
    requestsPerMessage: per(s.wireEnd.httpRequests - s.wireStart.httpRequests, deliveries, 3),
    heartbeatBytesPerConnectionPerMinute: per(s.heartbeatBytesEnd - s.heartbeatBytesStart, connected * minutes),
  };
}

/** The row's `server` figures: per connection null with none connected, per message null with none delivered. */
function serverFigures(
  s: ServerWindow,
  connected: number,
  deliveries: number,
  windowUs: number,
  bounds: ReturnType<typeof boundsOf>,
  publishLagUs: PublishTimesUs | null,
  publishHandoffUs: PublishTimesUs | null,
): ModelResult['server'] {
  const cpu = cpuUs(s.measureEnd) - cpuUs(s.measureStart);
  const rss = per(s.connected.rssBytes - s.base.rssBytes, connected, 0);
  const cpuPerMessage = per(cpu, deliveries, 2);
  return {
    rssPerConnectionBytes: rss,
    rssPerConnectionBytesBound: boundOf(rss, bounds.serverRss),
    heapPerConnectionBytes: per(s.connected.heapUsedBytes - s.base.heapUsedBytes, connected, 0),
    kernelPerConnectionBytes:
      s.kernelBaseBytes === undefined || s.kernelConnectedBytes === undefined
        ? null
        : // Host-wide buffer pages: other sockets freeing pages meanwhile can make the difference negative, which says nothing about ours.
          atLeast0(per(s.kernelConnectedBytes - s.kernelBaseBytes, connected, 0)),
    cpuPercent: per(100 * cpu, windowUs),
    cpuUsPerMessage: cpuPerMessage,
    cpuUsPerMessageBound: boundOf(cpuPerMessage, bounds.serverCpu),
    publishSpinCpuUsPerMessage: spinPerMessage(s, deliveries),
    publishLagUs,
    publishHandoffUs,
    peakRssBytes: s.peakRssBytes,
    openSockets: s.connected.openSockets,
    ...(s.deadPeers !== undefined ? { deadPeers: s.deadPeers } : {}),
    ...(s.slowReaderCuts !== undefined ? { slowReaderCuts: s.slowReaderCuts } : {}),
  };
}

/** The part of cpuUsPerMessage the publisher spent spinning for its instants: 0 without a schedule (chat, idle), null from an older server that does not report it. */
function spinPerMessage(s: ServerWindow, deliveries: number): number | null {
  if (s.publishSpinUsEnd === undefined) return null;
  return per(s.publishSpinUsEnd - (s.publishSpinUsStart ?? 0), deliveries, 2);
}

/**
 * The publisher's lateness (or handoff) over every server process, µs; null when nothing was
 * published on a schedule in the window, and a percentile of too few messages null (samplesFor).
 */
export function publishTimesOf(encoded: string[]): PublishTimesUs | null {
  const h = mergeEncoded(encoded);
  const n = h.totalCount;
  const at = (p: number) => (n >= samplesFor(p) ? h.getValueAtPercentile(p) : null);
  const lag = n === 0 ? null : { p50: at(50), p99: at(99), max: h.maxValue };
  h.destroy();
  return lag;
}

/** The bounds of the figures that are sample differences over a count (src/metrics/bounds.ts). */
function boundsOf(raw: RawModelRun, connected: number, deliveries: number, serverWindowUs: number, clientWindowUs: number) {
  const m = raw.memoryRepeats;
  return {
    serverRss: rssPerConnectionBound(m.serverBase, m.serverConnected, connected),
    clientRss: rssPerConnectionBound(m.clientBase, m.clientConnected, connected),
    serverCpu: cpuPerMessageBound(raw.idle.serverCpuUs, raw.idle.durationUs, serverWindowUs, deliveries),
    clientCpu: cpuPerMessageBound(raw.idle.clientCpuUs, raw.idle.durationUs, clientWindowUs, deliveries),
  };
}
