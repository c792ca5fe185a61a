/**
 * The result JSON of `connbench heartbeat` (kind "heartbeat"). Every duration is in real time:
 * what the lab measured at a time scale is multiplied back. Change a field only on purpose, with a
 * schemaVersion bump.
 */
import type { IdleAction } from '../proxy/options.js';
import type { RunEnv } from '../report/env.js';

/** 2: detection times are the models' own dead-peer records (1: when each side's socket closed at the proxy). */
export const HEARTBEAT_SCHEMA_VERSION = 2;

/**
 * How fast one side noticed that its peer was gone after a half-open injection, from that side's
 * own record: a client's CB_ERR_HEARTBEAT_TIMEOUT (its first after the injection), the server's
 * ServerHost.deadPeer() (the earliest, at most one per client).
 */
export interface DetectionStats {
  /** Peers this side declared dead before the lab stopped waiting. */
  detected: number;
  p50Ms: number | null;
  maxMs: number | null;
}

export interface HeartbeatIntervalResult {
  intervalMs: number;
  timeoutMs: number;
  /** TCP connections through the intermediary during the quiet observation window. */
  connections: {
    /** Open when the window began. */
    initial: number;
    /** Of those, still open (and forwarding) when it ended. */
    survived: number;
    /** Cut by the intermediary's idle timeout during the window. */
    idleCuts: number;
    /** New connections opened during the window (each replaces one that was lost). */
    opened: number;
  };
  /** Client reconnects (the session's, with backoff) from the start of the quiet window to the end of the drain. */
  reconnects: number;
  messages: { published: number; expected: number; delivered: number; lost: number; duplicates: number };
  /**
   * Payload bytes both ways through the intermediary while nothing was published, per client per
   * minute: the heartbeats, and for an interval that gets cut, the reconnections it causes.
   */
  heartbeatBytesPerConnectionPerMinute: number;
  /**
   * After every open connection was made half-open at once (no FIN, no RST, nothing forwarded):
   * `halfOpened` connections (an SSE client with echo holds two), of `clients` connected clients.
   */
  detection: { halfOpened: number; clients: number; client: DetectionStats; server: DetectionStats };
  /** Connections the server ended for a missing pong (its own count). */
  serverHeartbeatTimeouts: number;
  errors: Record<string, number>;
}

export interface CostRow {
  connections: number;
  /** One heartbeat per connection per interval (a ping and its pong count as one). */
  heartbeatsPerSec: number;
  /** Payload bytes both ways, from the bytes measured per connection. */
  bytesPerSec: number;
}

export interface Recommendation {
  intervalMs: number;
  timeoutMs: number;
  /** False when no swept interval met every condition and this one was computed from the limits. */
  measured: boolean;
  /** The longest interval the idle timeout allows with the safety margin. */
  maxByIdleTimeoutMs: number;
  /** The longest interval whose worst-case detection (interval + timeout, times the lab's measured overshoot) meets the target. */
  maxByDetectionMs: number;
  /** Worst case a dead peer goes unnoticed: interval + timeout, or the lab's slowest, if longer. */
  worstDetectionMs: number;
  reasons: string[];
  cost: CostRow[];
}

export interface HeartbeatModelResult {
  model: string;
  status: 'ok' | 'failed';
  error?: { code: string; message: string };
  intervals: HeartbeatIntervalResult[];
  recommendation: Recommendation | null;
}

export interface HeartbeatResult {
  schemaVersion: typeof HEARTBEAT_SCHEMA_VERSION;
  kind: 'heartbeat';
  tool: { name: 'connbench'; version: string };
  startedAt: string;
  finishedAt: string | null;
  complete: boolean;
  env: RunEnv;
  settings: {
    clients: number;
    idleTimeoutMs: number;
    idleAction: IdleAction;
    preset: { id: string; name: string; setting: string; source: string } | null;
    /** Every duration ran divided by this; the figures here are multiplied back. */
    timeScale: number;
    observeMs: number;
    safetyMargin: number;
    detectWithinMs: number;
    tcpKeepAliveMs: number | null;
    /** SSE clients echoed heartbeats (the SSE server's only way to detect a dead client). */
    sseEcho: boolean;
  };
  models: HeartbeatModelResult[];
}
