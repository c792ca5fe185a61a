/**
 * The IPC messages of the bench's floor processes (bare `net` server and client, the bare library
 * servers, autocannon). The floors are plain JavaScript on purpose: they use nothing of connbench,
 * so what they measure is Node and the kernel alone (and `ws` or `node:http` for the library
 * servers), and they fork without a build. They check their messages against these types through
 * JSDoc.
 */

export interface FloorSample {
  type: 'sample';
  rssBytes: number;
  heapUsedBytes: number;
  /** Cumulative process CPU (user + system), microseconds. */
  cpuUs: number;
  sockets: number;
}

// ---- bare net server (floors/netServer.js) ----
export type ToNetServer =
  /** tls: listen with TLS (a bare `tls` server), this certificate and key (PEM). */
  | { type: 'listen'; tls?: { certPem: string; keyPem: string } }
  | { type: 'sample'; gc: boolean }
  /** Writes `messages` frames of `frameBytes` to every socket: one Buffer for all, corked per batch. */
  | { type: 'broadcast'; messages: number; frameBytes: number }
  | { type: 'stop' };

export type FromNetServer = { type: 'listening'; port: number } | FloorSample;

// ---- the bare library servers (floors/libServer.js) ----
/** The models whose reference server is built on a library a user would write it with. */
export type LibServerKind = 'websocket' | 'sse' | 'long-poll';

export type ToLibServer = { type: 'listen'; kind: LibServerKind } | { type: 'sample'; gc: boolean } | { type: 'stop' };

/** A sample's `sockets` counts what the server holds: WebSockets, open event streams, held polls. */
export type FromLibServer = { type: 'listening'; port: number } | FloorSample;

// ---- bare net client (floors/netClient.js) ----
export type ToNetClient =
  /**
   * tls: connect with TLS (a bare `tls` client, one SecureContext), trusting this CA (PEM).
   * hello: written once on each socket as it connects (an HTTP request for a library server).
   */
  | { type: 'connect'; port: number; count: number; tls?: { caPem: string }; hello?: string }
  | { type: 'sample'; gc: boolean }
  /** Replies once every socket has received `frames` newline-ended frames since it connected. */
  | { type: 'expect-frames'; frames: number; timeoutMs: number }
  | { type: 'stop' };

export type FromNetClient =
  { type: 'connected'; count: number; failed: number } | FloorSample | { type: 'frames-received'; received: number; complete: boolean };

// ---- the physical one-way floor (floors/oneWaySender.js → floors/oneWayReceiver.js) ----
export type ToOneWayReceiver =
  | { type: 'listen' }
  /** Keeps its event loop polling without sleeping until 'latency' (or its own time limit). */
  | { type: 'poll' }
  /** Stops polling; p50 and p99 of the last `frames` frames. */
  | { type: 'latency'; frames: number }
  | { type: 'stop' };

export type FromOneWayReceiver =
  { type: 'listening'; port: number } | { type: 'polling' } | { type: 'latency'; p50Us: number; p99Us: number; count: number };

export type ToOneWaySender =
  | { type: 'connect'; port: number }
  /** Writes `frames` frames of `frameBytes`, intervalUs apart, each stamped with the time it is written. */
  | { type: 'send'; frames: number; intervalUs: number; frameBytes: number }
  | { type: 'stop' };

export type FromOneWaySender = { type: 'connected' } | { type: 'sent' };

// ---- the publisher's floor (floors/spinSchedule.js) ----
export type ToSpinSchedule =
  /** Reads the clock without sleeping until each of `count` instants 1/ratePerSec apart; replies with how late it saw each. */
  { type: 'run'; ratePerSec: number; count: number } | { type: 'stop' };

export type FromSpinSchedule = { type: 'lateness'; p50Us: number; p99Us: number; maxUs: number; count: number };

// ---- autocannon (floors/autocannon.js) ----
export type ToAutocannon = { type: 'run'; url: string; connections: number; durationSec: number } | { type: 'stop' };

export type FromAutocannon =
  /** Its connections are opening: the parent times its warm-up from here. */
  | { type: 'started' }
  | {
      type: 'done';
      /** Requests autocannon counted as answered (any status). */
      requests: number;
      non2xx: number;
      errors: number;
      /** Process CPU (user + system) during the run, microseconds. */
      cpuUs: number;
    };

/** Every floor reports failures as the runner's children do, so Child rejects the waits. */
export interface FloorError {
  type: 'error';
  code: string;
  message: string;
}
