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

/**
 * The peak bytes one connection of `modelId` costs in this point of the scenario: on one machine
 * (`both` ends), or on a host that holds only the `client` or the `server` end (its socket's half
 * of the kernel's share).
 */
export function peakBytesPerConnection(modelId: ModelId, s: Scenario, side: 'both' | 'client' | 'server' = 'both'): number {
  const model = getModel(modelId);
  const { serverBytes, clientBytes } = model.peakBytesPerConnection(optionsOf(model, s), s.clients);
  if (side === 'client') return clientBytes + KERNEL_BYTES_PER_CONNECTION / 2;
  if (side === 'server') return serverBytes + KERNEL_BYTES_PER_CONNECTION / 2;
  return serverBytes + clientBytes + KERNEL_BYTES_PER_CONNECTION;
}
