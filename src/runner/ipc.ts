/**
 * Every message that crosses the fork IPC channel, runner ↔ server and runner ↔ client worker.
 * Timestamps are monotonic microseconds (src/metrics/clock.ts), valid across processes.
 */
import type { ModelId, ServerSettings } from '../models/types.js';
import type { Scenario } from '../scenario/schema.js';
import type { StormReport } from '../client/recovery.js';
import type { LogSnapshot } from '../server/messageLog.js';

export interface ResourceSample {
  pid: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Cumulative process CPU, microseconds. */
  cpuUserUs: number;
  cpuSystemUs: number;
  atUs: number;
  openSockets: number;
}

// ---- runner → server ----
export type ToServer =
  | ServerStart
  /** untilUs: the end of the window; no message scheduled at or after it is published (the same count in every process). */
  | { type: 'publish'; ratePerSec: number; payloadBytes: number; t0Us: number; untilUs?: number }
  /** Publishes whatever is still due before untilUs (a stalled server catches up), then stops. */
  | { type: 'stop-publish'; burst: number; payloadBytes: number; untilUs?: number }
  | { type: 'expected'; queries: ExpectedQuery[]; upToSeq: number }
  | { type: 'sample'; gc: boolean }
  /** When the server declared peers dead (ServerHost.deadPeer), at or after sinceUs. */
  | { type: 'dead-peers'; sinceUs: number }
  /** Drop fault: reset (RST) this fraction of the open connections, every k-th exactly. */
  | { type: 'drop'; fraction: number }
  /** Restart fault: stop publishing, close every connection and listener, hand over (then the runner kills it). */
  | { type: 'freeze' }
  | { type: 'shutdown' };

export interface ServerStart {
  type: 'start';
  models: ModelId[];
  host: string;
  httpPort: number;
  tcpPort: number;
  retention: number;
  settings: ServerSettings;
  /** A restart fault: carry on from the server this one replaces. */
  restore?: ServerHandover;
}

/** What a server hands its replacement (restart fault): the log, the publisher's place, its running totals. */
export interface ServerHandover {
  log: LogSnapshot;
  /** The publisher's schedule and the index of the next message due; absent when it was not publishing. */
  publisher?: { ratePerSec: number; payloadBytes: number; t0Us: number; untilUs?: number; nextIndex: number };
  /** Totals so far, added to the replacement's own so that samples stay cumulative across the restart. */
  carry: {
    cpuUserUs: number;
    cpuSystemUs: number;
    wireBytes: WireBytes;
    counters: Record<string, number>;
    peakRssBytes: number;
    acceptedBySourceAddress: Record<string, number>;
  };
}

export interface ExpectedQuery {
  /** The reader's address; absent = count broadcasts only (chat messages are owed from what senders sent). */
  user?: string;
  /** The client's starting cursor; undefined when it never subscribed (everything is expected). */
  afterSeq: number | undefined;
}

// ---- server → runner ----
export type FromServer =
  | { type: 'listening'; httpPort: number; tcpPort: number; pid: number }
  | { type: 'published'; lastSeq: number }
  | { type: 'expected'; counts: number[] }
  /** Monotonic µs of each dead-peer detection asked for, in order. */
  | { type: 'dead-peers'; atUs: number[] }
  | { type: 'dropped'; reset: number; open: number }
  | { type: 'frozen'; handover: ServerHandover }
  | {
      type: 'sample';
      sample: ResourceSample;
      peakRssBytes: number;
      counters: Record<string, number>;
      wireBytes: WireBytes;
      /** Connections accepted so far per client source address (reconnects included). */
      acceptedBySourceAddress?: Record<string, number>;
    }
  | { type: 'error'; code: string; message: string; hint?: string };

export interface WireBytes {
  sentBytes: number;
  receivedBytes: number;
  httpRequests: number;
}

/** Where one server process listens (on the worker's `host`). */
export interface ServerEndpoint {
  httpPort: number;
  tcpPort: number;
}

// ---- runner → client worker ----
export interface WorkerStart {
  type: 'start';
  workerIndex: number;
  model: ModelId;
  /** Client ids firstClientId … firstClientId + count - 1. */
  firstClientId: number;
  count: number;
  host: string;
  httpPort: number;
  tcpPort: number;
  sourceAddresses: string[];
  /**
   * Every server process's ports when there are several (server.processes > 1): client c connects
   * to servers[serverIndexOf(c, servers.length)] (src/runner/plan.ts); absent = httpPort/tcpPort.
   */
  servers?: ServerEndpoint[];
  /** Spread connects evenly over this long. */
  rampUpMs: number;
  scenario: Scenario;
}

export type ToWorker =
  | WorkerStart
  /** Messages scheduled at or after measureFromUs are recorded in the latency histogram. */
  | { type: 'measure'; measureFromUs: number; chatT0Us: number; chatUntilUs: number }
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
}

export type FromWorker =
  | { type: 'progress'; progress: WorkerProgress }
  | { type: 'ramped'; progress: WorkerProgress }
  /** sentByInbox: chat sends this worker's users made, per address (user or room). */
  | { type: 'cursors'; queries: ExpectedQuery[]; sentByInbox?: Record<string, number> }
  | { type: 'drained'; result: WorkerResult }
  | { type: 'sample'; sample: ResourceSample }
  | { type: 'error'; code: string; message: string };

// ---- runner → heartbeat lab worker (src/heartbeat/labWorker.ts) ----
export interface LabWorkerStart {
  type: 'start';
  model: ModelId;
  count: number;
  /** Where the clients connect: the fault proxy in front of the server. */
  host: string;
  httpPort: number;
  tcpPort: number;
  heartbeat: ServerSettings['heartbeat'];
  shortPollIntervalMs: number;
  longPollHoldMs: number;
  /** TCP keep-alive on every client socket, first probe after this long idle; absent = the stack's default. */
  tcpKeepAliveMs?: number;
  reconnect: { minDelayMs: number; maxDelayMs: number };
}

export type ToLabWorker =
  | LabWorkerStart
  | { type: 'status' }
  | { type: 'cursors' }
  | { type: 'drain'; expected: number[]; timeoutMs: number }
  /** Each client's first dead-peer detection (CB_ERR_HEARTBEAT_TIMEOUT) at or after sinceUs. */
  | { type: 'dead-peers'; sinceUs: number }
  | { type: 'stop' };

export interface LabWorkerStatus {
  /** Sessions subscribed now. */
  connected: number;
  /** Sessions whose first connect failed. */
  failed: number;
  reconnects: number;
  errors: Record<string, number>;
}

export interface LabWorkerDrained {
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  gapped: number;
  caughtUp: boolean;
}

// ---- heartbeat lab worker → runner ----
export type FromLabWorker =
  | { type: 'started'; status: LabWorkerStatus }
  | { type: 'status'; status: LabWorkerStatus }
  | { type: 'cursors'; queries: ExpectedQuery[] }
  | { type: 'drained'; result: LabWorkerDrained; status: LabWorkerStatus }
  /** Monotonic µs, one per client that detected (clients that did not are left out). */
  | { type: 'dead-peers'; atUs: number[] }
  | { type: 'error'; code: string; message: string };
