import type { ModelResult, ModelStatus, ProcessUsage, PublishLagUs } from '../report/result.js';
import type { ResourceSample } from '../metrics/process.js';
import type { WireBytes } from '../ipc/common.js';
import type { WorkerResult } from '../ipc/worker.js';
import { mergeEncoded, summarizeMs, encodeHistogram } from '../metrics/histogram.js';
import { cpuPerMessageBound, rssPerConnectionBound } from '../metrics/bounds.js';

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
  peakRssBytes: number;
  /** Connections the server ended for a silent peer (ServerHost.deadPeer), over the whole run. */
  deadPeers?: number;
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
  /** Each process's repeated samples at both memory points, [process][sample]: the memory bounds. */
  memoryRepeats: {
    serverBase: ResourceSample[][];
    serverConnected: ResourceSample[][];
    clientBase: ResourceSample[][];
    clientConnected: ResourceSample[][];
  };
  idle: IdleCpu;
  /** Each server process's publisher lateness (encoded µs histograms); empty when nothing was published on a schedule. */
  publishLags: string[];
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
const round = (x: number, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : 0);
const perOr0 = (num: number, den: number) => (den > 0 ? num / den : 0);

/** Turns what the processes reported into the result row. Pure over its input. */
export function summarizeModelRun(raw: RawModelRun): ModelResult {
  const w = raw.workers;
  const sum = (f: (r: WorkerResult) => number) => w.reduce((a, r) => a + f(r), 0);
  const latency = mergeEncoded(w.map((r) => r.histogram));
  const connect = mergeEncoded(w.map((r) => r.connectHistogram));
  const latencyMs = summarizeMs(latency);
  const connectSummary = summarizeMs(connect);
  const histogram = encodeHistogram(latency);
  latency.destroy();
  connect.destroy();

  const connected = sum((r) => r.connected);
  const measuredDeliveries = latencyMs.count;
  const s = raw.server;
  const windowUs = s.measureEnd.atUs - s.measureStart.atUs;
  const serverCpuUs = cpuUs(s.measureEnd) - cpuUs(s.measureStart);
  const clientCpuUs = raw.client.measureEnd.reduce((a, e, i) => a + cpuUs(e) - cpuUs(raw.client.measureStart[i]!), 0);
  const clientWindowUs = raw.client.measureEnd.reduce((a, e, i) => Math.max(a, e.atUs - raw.client.measureStart[i]!.atUs), 0);
  const clientRssDelta = raw.client.connected.reduce((a, c, i) => a + c.rssBytes - raw.client.base[i]!.rssBytes, 0);
  const busiestClientCpuPercent = raw.client.measureEnd.reduce(
    (a, e, i) =>
      Math.max(a, (100 * (cpuUs(e) - cpuUs(raw.client.measureStart[i]!))) / Math.max(1, e.atUs - raw.client.measureStart[i]!.atUs)),
    0,
  );
  const loopDelayP99Ms = w.reduce((a, r) => Math.max(a, r.eventLoopDelayP99Ms), 0);
  const errors: Record<string, number> = {};
  for (const r of w) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;

  let status: ModelStatus = 'ok';
  let statusReason: string | undefined;
  if (connected === 0) {
    status = 'failed';
    statusReason = 'no client could connect';
  } else if (loopDelayP99Ms > CLIENT_BOUND_LOOP_DELAY_P99_MS || busiestClientCpuPercent > CLIENT_BOUND_CPU_PERCENT) {
    status = 'client-bound';
    statusReason = `a client worker was saturated (event-loop delay p99 ${round(loopDelayP99Ms)} ms, CPU ${round(busiestClientCpuPercent)} %): the figures describe connbench's generator, not the model`;
  }

  const wireSent = s.wireEnd.sentBytes - s.wireStart.sentBytes;
  const wireReceived = s.wireEnd.receivedBytes - s.wireStart.receivedBytes;
  const requests = s.wireEnd.httpRequests - s.wireStart.httpRequests;
  const heartbeatBytes = s.heartbeatBytesEnd - s.heartbeatBytesStart;
  const minutes = windowUs / 60e6;
  const bounds = boundsOf(raw, connected, measuredDeliveries, windowUs, clientWindowUs);

  const result: ModelResult = {
    model: raw.model,
    matrix: raw.matrix,
    status,
    complete: true,
    clients: { target: sum((r) => r.target), connected, failed: sum((r) => r.failed) },
    reconnects: sum((r) => r.reconnects),
    errors,
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
    connectMs: { p50: connectSummary.p50, p99: connectSummary.p99, max: connectSummary.max },
    deliveriesPerSec: round(perOr0(measuredDeliveries, raw.durationMs / 1000)),
    server: {
      rssPerConnectionBytes: Math.round(perOr0(s.connected.rssBytes - s.base.rssBytes, connected)),
      rssPerConnectionBytesBound: bounds.serverRss,
      heapPerConnectionBytes: Math.round(perOr0(s.connected.heapUsedBytes - s.base.heapUsedBytes, connected)),
      kernelPerConnectionBytes:
        s.kernelBaseBytes === undefined || s.kernelConnectedBytes === undefined
          ? null
          : // Host-wide buffer pages: other sockets freeing pages meanwhile can make the difference negative, which says nothing about ours.
            Math.max(0, Math.round(perOr0(s.kernelConnectedBytes - s.kernelBaseBytes, connected))),
      cpuPercent: round(perOr0(100 * serverCpuUs, windowUs)),
      cpuUsPerMessage: round(perOr0(serverCpuUs, measuredDeliveries), 2),
      cpuUsPerMessageBound: bounds.serverCpu,
      publishLagUs: publishLagOf(raw.publishLags),
      peakRssBytes: s.peakRssBytes,
      openSockets: s.connected.openSockets,
      ...(s.deadPeers !== undefined ? { deadPeers: s.deadPeers } : {}),
    },
    client: {
      workers: w.length,
      rssPerClientBytes: Math.round(perOr0(clientRssDelta, connected)),
      rssPerClientBytesBound: bounds.clientRss,
      cpuPercent: round(perOr0(100 * clientCpuUs, clientWindowUs)),
      cpuUsPerMessage: round(perOr0(clientCpuUs, measuredDeliveries), 2),
      cpuUsPerMessageBound: bounds.clientCpu,
      eventLoopDelayP99Ms: loopDelayP99Ms,
      peakRssBytes: w.reduce((a, r) => Math.max(a, r.peakRssBytes), 0),
    },
    wire: {
      serverBytesPerMessage: round(perOr0(wireSent, measuredDeliveries)),
      serverReceivedBytesPerMessage: round(perOr0(wireReceived, measuredDeliveries)),
      requestsPerMessage: round(perOr0(requests, measuredDeliveries), 3),
      heartbeatBytesPerConnectionPerMinute: round(perOr0(heartbeatBytes, connected * minutes)),
    },
    timing: { rampUpMs: raw.rampUpMs, measuredMs: raw.durationMs, drainMs: raw.drainMs },
  };
  if (statusReason) result.statusReason = statusReason;
  if (raw.processes) result.processes = raw.processes;
  return result;
}

/** The publisher's lateness over every server process, µs; null when nothing was published on a schedule in the window. */
export function publishLagOf(encoded: string[]): PublishLagUs | null {
  const h = mergeEncoded(encoded);
  const lag = h.totalCount === 0 ? null : { p50: h.getValueAtPercentile(50), p99: h.getValueAtPercentile(99), max: h.maxValue };
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
