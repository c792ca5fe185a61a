import type { Scenario } from '../scenario/schema.js';
import type { ModelId } from '../models/types.js';
import { getModel } from '../models/index.js';
import { optionsOf } from '../scenario/modelOptions.js';

/**
 * Peak memory one connection costs the machine: the model's server and client figures
 * (`ModelDefinition.peakBytesPerConnection`) plus the kernel's per-socket structures at both ends.
 * Each model's figures are the peak resident sets of `connbench run idle-10k` and `scale-50k`
 * (docs/scale.md), less BYTES_PER_PROCESS per process, divided by the clients, times about 1.5
 * (peaks move with GC timing) in whole KiB. Peaks, not the after-GC figures of the result rows,
 * because a process is killed at its peak. Used only to refuse a run that cannot fit in memory
 * before it starts; a model's own cost is what the run measures.
 */

/** Both sockets of a loopback connection in the kernel: tcp_sock, file, inode and dentry, about 4 KiB each. */
export const KERNEL_BYTES_PER_CONNECTION = 8 * 1024;

/** A Node process before it holds any connection (runtime, modules, histograms). */
export const BYTES_PER_PROCESS = 64 * 1024 * 1024;

/** A message's bytes beyond its payload: the JSON envelope, a frame's header, the log's entry object. */
export const MESSAGE_OVERHEAD_BYTES = 256;

const messageBytes = (s: Scenario) => s.workload.payloadBytes + MESSAGE_OVERHEAD_BYTES;

/**
 * What the payload adds to a connection at its peak, which the measured figures above (128 B
 * payloads) leave out: a client holds a whole message to parse it, and its text once decoded;
 * the server queues an idle scenario's burst for every connection at once.
 */
function payloadBytesPerConnection(s: Scenario, side: 'both' | 'client' | 'server'): number {
  const clientBytes = 2 * messageBytes(s);
  const serverBytes = s.workload.burst * messageBytes(s);
  return side === 'client' ? clientBytes : side === 'server' ? serverBytes : clientBytes + serverBytes;
}

/**
 * The peak bytes one connection of `modelId` costs in this point of the scenario: on one machine
 * (`both` ends), or on a host that holds only the `client` or the `server` end (its socket's half
 * of the kernel's share).
 */
export function peakBytesPerConnection(modelId: ModelId, s: Scenario, side: 'both' | 'client' | 'server' = 'both'): number {
  const model = getModel(modelId);
  const { serverBytes, clientBytes } = model.peakBytesPerConnection(optionsOf(model, s), s.clients);
  const payloadBytes = payloadBytesPerConnection(s, side);
  if (side === 'client') return clientBytes + KERNEL_BYTES_PER_CONNECTION / 2 + payloadBytes;
  if (side === 'server') return serverBytes + KERNEL_BYTES_PER_CONNECTION / 2 + payloadBytes;
  return serverBytes + clientBytes + KERNEL_BYTES_PER_CONNECTION + payloadBytes;
}

/**
 * The most a server process's log holds in this point: `retention` messages, or every message the
 * run publishes when that is fewer (a broadcast's rate over warm-up and window, a chat's sends).
 */
export function serverLogBytes(s: Scenario): number {
  const windowSec = (s.warmupMs + s.durationMs) / 1000;
  const w = s.workload;
  const published = w.pattern === 'broadcast' ? w.ratePerSec * windowSec : w.pattern === 'chat' ? w.ratePerSec * s.clients * windowSec : 0;
  return Math.min(s.server.retention, Math.ceil(published) + w.burst) * messageBytes(s);
}
