/**
 * The result JSON (schemaVersion 7): the contract CI scripts read. Change a field only on
 * purpose, with a schemaVersion bump. 2 added the figures' bounds and the publisher's lateness
 * (`server.publishLagUs`); 3 what a server on another host brings (`clock` and `shards` on a row,
 * `shards` on the run, `shard` on a client worker of `processes`); 4 writes null, not 0, for a
 * figure computed from too few samples (a percentile of too few deliveries, a figure per connection
 * with none connected, per message with none delivered, any figure of a row that did not finish)
 * and added `server.slowReaderCuts`; 5 the transport of every row (`connectMs.tcp` and `.tls`,
 * `tls`, `connections`, `proxy`); 6 `client.busyPoll`, with the client's CPU figures null when it
 * is set; 7 `server.publishHandoffUs`. readResult still reads 1 to 6 (docs/contract.md,
 * Versioning): 1, 2 and 3 as 4 states them, and every older row with its transport "not measured".
 */
import type { LatencySummaryMs } from '../metrics/histogram.js';
import type { ResolvedScenario } from '../scenario/schema.js';
import type { RunEnv } from './env.js';

export const SCHEMA_VERSION = 7;
/** Older versions readResult still accepts: every field they lack is optional below, their zeros without samples are read as null, and their transport as not measured (upgradeResult.ts). */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [1, 2, 3, 4, 5, 6, SCHEMA_VERSION];

/** A publisher time per message (its lateness, its handoff), microseconds; a percentile of too few messages is null. */
export interface PublishTimesUs {
  p50: number | null;
  p99: number | null;
  max: number;
}

export type ModelStatus = 'ok' | 'client-bound' | 'failed';

export interface ModelResult {
  model: string;
  /** The matrix point this row belongs to (e.g. { clients: 1000 }); {} without a matrix. */
  matrix: Record<string, number | string>;
  status: ModelStatus;
  /** Why the status is not ok, in a sentence. */
  statusReason?: string;
  /** False while the model is still running or was interrupted. */
  complete: boolean;
  clients: { target: number; connected: number; failed: number };
  reconnects: number;
  errors: Record<string, number>;
  messages: { published: number; expected: number; delivered: number; lost: number; duplicates: number; reordered: number };
  latencyMs: LatencySummaryMs;
  /** Base64 compressed HDR histogram of latency, microseconds. */
  histogram: string;
  /**
   * p50/p99/max: each client's first connection, start → subscription; each null when too few
   * clients connected for it (see samplesFor in src/metrics/histogram.ts). tcp: the TCP connect of
   * every connection the clients opened (polls, reconnects, echoes included); tls: the TLS
   * handshake after it (null figures without TLS, or with too few of them).
   */
  connectMs: { p50: number | null; p99: number | null; max: number | null; tcp: TimesMs; tls: TimesMs };
  deliveriesPerSec: number | null;
  tls: TlsFigures;
  connections: ConnectionFigures;
  proxy: ProxyFigures;
  /** Per connection: null with no client connected; per message: null with no delivery; all null in a row that did not finish. A bound is null with its figure. */
  server: {
    rssPerConnectionBytes: number | null;
    /**
     * How far rssPerConnectionBytes may be off, bytes (src/metrics/bounds.ts): page granularity,
     * repeated samples, young-generation growth, over the connections. Absent in schemaVersion 1.
     */
    rssPerConnectionBytesBound?: number | null;
    heapPerConnectionBytes: number | null;
    kernelPerConnectionBytes: number | null;
    cpuPercent: number | null;
    cpuUsPerMessage: number | null;
    /** How much of cpuUsPerMessage may be background work: idle CPU scaled to the window, per delivery. Absent in schemaVersion 1. */
    cpuUsPerMessageBound?: number | null;
    /**
     * The part of cpuUsPerMessage the publisher spent spinning for each message's instant: connbench's
     * own wait, which a real server does not spend. null from a server that does not report it (an
     * older one on another host); absent before it was added (schemaVersion 7, without a bump).
     */
    publishSpinCpuUsPerMessage?: number | null;
    /**
     * The publisher's own lateness for messages scheduled in the window: the part of every latency
     * that is the server's scheduling. null without a scheduled publisher (chat, idle). Absent in schemaVersion 1.
     */
    publishLagUs?: PublishTimesUs | null;
    /**
     * From each of the same messages' scheduled time until its publishing turn and all the
     * nextTick and microtask work that turn queued had run (for a push model, the writes to every
     * subscriber's socket, and the bookkeeping after them): an upper bound on the server's part of
     * every latency, lateness included. null as publishLagUs is, and when a server on another host
     * is older than schemaVersion 7. Absent before schemaVersion 7.
     */
    publishHandoffUs?: PublishTimesUs | null;
    peakRssBytes: number | null;
    openSockets: number | null;
    /**
     * Connections the server ended because the peer stayed silent past the heartbeat timeout (no
     * pong, no SSE echo, no next poll), over the whole run. Absent in results from before it was counted.
     */
    deadPeers?: number;
    /**
     * Connections the server cut because more than `scenario.server.slowReaderQueueBytes` waited
     * unsent for them (src/models/push/slowReader.ts), over the whole run. Absent before schemaVersion 4.
     */
    slowReaderCuts?: number;
  };
  client: {
    workers: number;
    rssPerClientBytes: number | null;
    /** As server.rssPerConnectionBytesBound, for the workers. Absent in schemaVersion 1. */
    rssPerClientBytesBound?: number | null;
    cpuPercent: number | null;
    cpuUsPerMessage: number | null;
    /** As server.cpuUsPerMessageBound, for the workers. Absent in schemaVersion 1. */
    cpuUsPerMessageBound?: number | null;
    eventLoopDelayP99Ms: number | null;
    peakRssBytes: number | null;
    /**
     * Set when the workers busy-polled (scenario client.busyPoll): cpuPercent and cpuUsPerMessage are
     * then null, because the polling, not the model, used the core. Absent before schemaVersion 6.
     */
    busyPoll?: true;
  };
  wire: {
    serverBytesPerMessage: number | null;
    serverReceivedBytesPerMessage: number | null;
    requestsPerMessage: number | null;
    heartbeatBytesPerConnectionPerMinute: number | null;
  };
  timing: { rampUpMs: number; measuredMs: number; drainMs: number };
  error?: { code: string; message: string };
  /** Set when the scenario had a reconnect-storm action (src/client/recovery.ts measures it). */
  recovery?: StormRecovery;
  /** Set when the scenario had faults: one per fault, in time order (src/runner/faults.ts). */
  faults?: FaultOutcome[];
  /**
   * Every server process and client worker of the run, each with its own peak memory and the most
   * connections it held, so a user can see which one came nearest a limit. With several server
   * processes, the `server` figures above are their sums (peakRssBytes: the sum of their peaks).
   */
  processes?: ProcessUsage[];
  /**
   * With `run --repeat N` (N > 1): each repeat's own row, histogram included. The row around them
   * then holds the combination: counters (messages, reconnects, errors) are totals over the
   * repeats, latencyMs and histogram describe all their deliveries merged, every other figure is
   * the median of the repeats. Absent for a single run.
   */
  repeats?: ModelResult[];
  /**
   * With a server on another host (`run --target`): each shard's clock offset to the server, by
   * which its receive times were corrected, and the bound on every latency of the row.
   */
  clock?: RowClock;
  /** A result merged from shards (`connbench merge`): the shards this row counts, and those it lacks. */
  shards?: { merged: number[]; missing: number[] };
}

/** The clocks behind a row's latencies (ModelResult.clock). */
export interface RowClock {
  /** The largest bound of any shard: a latency of the row may be off by up to this much, either way. */
  boundUs: number;
  shards: ShardClock[];
}

/**
 * One shard's clock (src/metrics/clockOffset.ts): the server's clock = the shard's + offsetUs. Each
 * worker estimated its own offset from the exchange with the smallest round trip, before the window
 * (applied to every receive time) and after it (for the drift).
 */
export interface ShardClock {
  shard: number;
  /** Of the worker with the tightest estimate. */
  offsetUs: number;
  /** The largest over the shard's workers of how far its applied offset may be off anywhere in the window. */
  boundUs: number;
  /** How fast the two clocks drift apart, from the estimates before and after the window; within ±driftBoundPpm. */
  driftPpm: number;
  driftBoundPpm: number;
  /** The smallest round trip to the clock endpoint, over the shard's workers. */
  minRttUs: number;
}

/** Percentiles of a time in ms; null when nothing was timed. */
export interface TimesMs {
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** What TLS was like in a row (all null and 0 without TLS). */
export interface TlsFigures {
  enabled: boolean;
  /** Of the clients' first handshake, e.g. "TLSv1.3", "TLS_AES_256_GCM_SHA384". */
  protocol: string | null;
  cipher: string | null;
  /** Handshakes the clients made, over the whole run. */
  handshakes: number;
  /** Of those, the share that resumed a session (0 to 1); null without handshakes. */
  resumedFraction: number | null;
  fullHandshakeMs: TimesMs;
  resumedHandshakeMs: TimesMs;
  /** Failed handshakes the server (or the proxy in front of it: none counted) saw, by Node's code, e.g. ERR_SSL_HTTP_REQUEST. */
  serverErrors: Record<string, number>;
}

/** How many connections the clients opened, and what closing them left behind. */
export interface ConnectionFigures {
  /** Over the whole run: every connect, every poll with HTTP keep-alive off, every reconnect. */
  opened: number;
  /** In the measured window; null without one (a row that did not finish). */
  openedPerSec: number | null;
  /**
   * TIME_WAIT sockets at the end of the window on the side that serves the clients (the server,
   * or the proxy in front of it) and on the clients' side; null where /proc/net/tcp cannot be read.
   */
  timeWaitServer: number | null;
  timeWaitClient: number | null;
}

/** The intermediary's own cost (`kind` none: all null). */
export interface ProxyFigures {
  kind: 'none' | 'nginx' | 'haproxy' | 'via';
  /** e.g. "nginx/1.22.1"; null for none and for a via (not connbench's process). */
  version: string | null;
  /** Its processes' RSS with every client connected, less before any did, per connected client. */
  rssPerConnectionBytes: number | null;
  /** Its CPU in the window, per delivery. */
  cpuUsPerMessage: number | null;
  cpuPercent: number | null;
  /** The most RSS its processes held at a sample. */
  peakRssBytes: number | null;
}

/** One process of a model run (`processes` in the row). */
export interface ProcessUsage {
  /** proxy: the intermediary connbench started (nginx's master, its workers' figures included). */
  role: 'server' | 'client' | 'proxy';
  /** Its index among the processes of its role: server process k, client worker k. */
  index: number;
  pid: number;
  /** Peak resident set since the process started (getrusage maxrss). */
  peakRssBytes: number;
  /** The most connections it held at any sample (a server: accepted and open; a worker: clients connected). */
  openSockets: number;
  /** Server processes: connections accepted per client source address (127.0.0.1, 127.0.0.2, …), reconnects included. */
  acceptedBySourceAddress?: Record<string, number>;
  /** Client workers of a merged result: the shard that ran it. */
  shard?: number;
}

/** The verdict on one scenario threshold for one row (`thresholds` in the scenario). */
export interface ThresholdOutcome {
  /** As written in the scenario, e.g. "websocket.latency.p99". */
  target: string;
  /** As written, e.g. "< 20ms". */
  condition: string;
  model: string;
  matrix: Record<string, number | string>;
  /** The result JSON path it resolved to, e.g. "latencyMs.p99". */
  metric: string;
  /** In the metric's own unit (ms for latencyMs.*, bytes for *Bytes, …); null when not measured. */
  actual: number | null;
  limit: number;
  passed: boolean;
  /** One line a person can read: what was measured, the limit, and by how much it missed. */
  message: string;
}

/** After a reconnect storm: how long until every client was back and every held-up message delivered. */
export interface StormRecovery {
  action: 'reconnect-storm';
  /** When it struck, after the start of publishing. */
  atMs: number;
  droppedClients: number;
  backClients: number;
  /** Storm → the last client subscribed again; null when some never came back. */
  allBackMs: number | null;
  /** Storm → every message scheduled before all were back had been delivered; null when some never came back. */
  caughtUpMs: number | null;
}

/**
 * What one scenario fault did and how the clients came through it. Loss and duplicates caused by
 * faults are in the row's `messages`, reconnects in its `reconnects`.
 */
export interface FaultOutcome {
  fault: 'drop' | 'stall' | 'restart' | 'latency';
  /** When it was due, after the start of publishing; how much later the runner carried it out. */
  atMs: number;
  lateMs: number;
  /**
   * How long the fault lasted as carried out. stall: the server processes stopped. restart: from
   * the old server closing its connections to the new one listening. latency: latency added.
   * drop: resetting the connections.
   */
  faultMs: number;
  /** drop: the share asked for; connections reset and connections open then, over all server processes. */
  fraction?: number;
  resetConnections?: number;
  openConnections?: number;
  /** latency: added to every chunk each way, plus up to jitterMs more; the proxy was in the path for the whole run. */
  latencyMs?: number;
  jitterMs?: number;
  /** restart: the head of the log the new server took over, so cursors stayed valid across it. */
  logHead?: number;
  /** Clients whose connection ended after the fault struck, and how many of them subscribed again. */
  droppedClients: number;
  backClients: number;
  /** Fault → it was over and every dropped client had subscribed again; null when some did not (before the next fault or the drain ended). */
  allBackMs: number | null;
  /** Fault → every message scheduled before "all back" had been delivered; null when some client did not come back. */
  caughtUpMs: number | null;
}

/** What a run and a shard's partial result begin with: who wrote it, when, where, and the scenario (its first point, without `matrix`). */
export interface ResultHeader {
  tool: { name: 'connbench'; version: string };
  startedAt: string;
  finishedAt: string | null;
  complete: boolean;
  env: RunEnv;
  scenario: ResolvedScenario;
}

export interface RunResult extends ResultHeader {
  schemaVersion: 1 | 2 | 3 | 4 | 5 | typeof SCHEMA_VERSION;
  kind: 'run';
  models: ModelResult[];
  /** Runs of each model with `run --repeat N`; absent for a single run. */
  repeat?: number;
  /** Scenario thresholds evaluated after the run; absent when the scenario has none. */
  thresholds?: ThresholdOutcome[];
  /** Merged from shards (`connbench merge`): how many there were, those merged, and those missing. */
  shards?: { count: number; merged: number[]; missing: number[] };
}
