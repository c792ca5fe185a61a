/**
 * Every message between the heartbeat lab (src/heartbeat/lab.ts) and its client process (src/heartbeat/labWorker.ts).
 * Timestamps are monotonic microseconds (src/metrics/clock.ts), valid across processes.
 */
import type { ModelId, ServerSettings } from '../models/types.js';
import type { Ports } from '../models/listeners.js';
import type { ExpectedQuery } from './common.js';

// ---- runner → heartbeat lab worker (src/heartbeat/labWorker.ts) ----
export interface LabWorkerStart {
  type: 'start';
  model: ModelId;
  count: number;
  /** Where the clients connect: the fault proxy in front of the server. */
  host: string;
  ports: Ports;
  heartbeat: ServerSettings['heartbeat'];
  /** The model's own options at this interval (ModelDefinition.labOptions). */
  modelOptions: unknown;
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
