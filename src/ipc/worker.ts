/**
 * Every message between the runner and a client worker process (src/client/worker.ts), over the fork IPC channel.
 * Timestamps are monotonic microseconds (src/metrics/clock.ts), valid across processes.
 */
import type { ModelId } from '../models/types.js';
import type { Scenario } from '../scenario/schema.js';
import type { ResourceSample } from '../metrics/process.js';
import type { ExpectedQuery } from './common.js';
import type { Ports } from '../models/listeners.js';
import type { OffsetEstimate } from '../metrics/clockOffset.js';

/** Arrivals after a storm are kept per bucket of scheduled time this wide (see StormReport.latestArrivalUs). */
export const BUCKET_US = 10_000;

/** What a worker reports about one storm (monotonic µs; IPC-safe plain data). */
export interface StormReport {
  atUs: number;
  /** Clients that were connected (ever subscribed) when the storm hit. */
  dropped: number;
  /** Of those, how many have subscribed again. */
  back: number;
  /** When the last of them subscribed again; null while any is still away. */
  allBackAtUs: number | null;
  /** Latest arrival (µs after the storm, 0 = none) of messages scheduled in bucket k: k = 0 before the storm, k ≥ 1 in [S + (k-1)·BUCKET, S + k·BUCKET). */
  latestArrivalUs: number[];
}

/** What a client worker's clients need to speak TLS to their server (or the intermediary in front of it). */
export interface ClientTls {
  /** The CA that signed the server's certificate (PEM): the only one the clients trust. */
  caPem: string;
  /** SNI and the name checked in the certificate; absent: none is sent and the IP is checked against the certificate's IP SANs. */
  servername?: string;
  /** Offer the last session ticket the server gave for that host and port (TLS session resumption). */
  resumption: boolean;
}

/** What a worker's connections were like, for its result: how many, how long their handshakes took, how many resumed. */
export interface TransportReport {
  /** Connections that got as far as carrying data (TCP up; with TLS, handshake done). */
  opened: number;
  /** TCP connect (SYN to established), every connection, µs. */
  tcpHistogram: string;
  /** TLS handshake after the TCP connect, every full and every resumed one, µs. */
  tlsFullHistogram: string;
  tlsResumedHistogram: string;
  handshakes: number;
  resumed: number;
  /** Of the first handshake: e.g. TLSv1.3, TLS_AES_256_GCM_SHA384. */
  protocol?: string;
  cipher?: string;
}

// ---- runner → client worker ----
export interface WorkerStart {
  type: 'start';
  workerIndex: number;
  model: ModelId;
  /** Client ids firstClientId, firstClientId + stride, … (count of them; src/topology/topology.ts, ClientRange). */
  firstClientId: number;
  count: number;
  /** Absent: 1. A shard's workers step by the shard count. */
  stride?: number;
  host: string;
  /** Every server process's ports: client c connects to servers[serverIndexOf(c, servers.length)] (src/topology/topology.ts). */
  servers: Ports[];
  sourceAddresses: string[];
  /** Spread connects evenly over this long. */
  rampUpMs: number;
  scenario: Scenario;
  /** A server on another host (`run --target`): its clock endpoint, for the offset between the two clocks. */
  clock?: { url: string; token: string };
  /** The clients speak TLS to what they connect to (the server, or the intermediary in front of it); absent = plain. */
  tls?: ClientTls;
}

export type ToWorker =
  | WorkerStart
  /** Messages scheduled at or after measureFromUs are recorded in the latency histogram. */
  /**
   * Times are the server's clock (the worker adds its clock offset to its own). Messages scheduled
   * at or after measureFromUs are recorded in the latency histogram.
   */
  | { type: 'measure'; measureFromUs: number; chatT0Us: number; chatUntilUs: number }
  /** Estimates the offset to the server's clock (WorkerStart.clock); `apply`: correct every receive time by it from now on. */
  | { type: 'clock'; apply: boolean }
  | { type: 'cursors' }
  /** expected: per client, from the server's log; owedByInbox: chat sends per address, from every worker; lastSeq: the log head (with resume: none a client is done once it has seen it). */
  | { type: 'drain'; expected: number[]; owedByInbox?: Record<string, number>; timeoutMs: number; lastSeq?: number }
  | { type: 'sample'; gc: boolean }
  | { type: 'stop' };

// ---- client worker → runner ----
export interface WorkerProgress {
  connected: number;
  failed: number;
  delivered: number;
  reconnects: number;
}

export interface WorkerResult {
  histogram: string;
  connectHistogram: string;
  target: number;
  connected: number;
  failed: number;
  reconnects: number;
  errors: Record<string, number>;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  reordered: number;
  gapped: number;
  sent: number;
  sendFailures: number;
  caughtUp: boolean;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  peakRssBytes: number;
  /** Connections closed by churn. */
  churned?: number;
  /** Set when a reconnect storm struck during the run. */
  storm?: StormReport;
  /** One per scenario fault, in time order (src/client/faultWatch.ts). */
  faults?: StormReport[];
  /** Every connection the clients opened: TCP and TLS handshake times, resumptions. */
  transport?: TransportReport;
}

export type FromWorker =
  | { type: 'progress'; progress: WorkerProgress }
  | { type: 'ramped'; progress: WorkerProgress }
  /** sentByInbox: chat sends this worker's users made, per address (user or room). */
  | { type: 'cursors'; queries: ExpectedQuery[]; sentByInbox?: Record<string, number> }
  | { type: 'drained'; result: WorkerResult }
  /** connectionsOpened: by this worker's clients so far (every poll, with HTTP keep-alive off). */
  | { type: 'sample'; sample: ResourceSample; connectionsOpened?: number }
  | { type: 'clock'; estimate: OffsetEstimate }
  | { type: 'error'; code: string; message: string };
