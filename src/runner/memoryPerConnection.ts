import type { Scenario } from '../scenario/schema.js';
import type { ModelId } from '../models/types.js';
import { sseClientFor } from '../models/sse/clientChoice.js';

/**
 * Peak memory one connection costs the machine, server + simulated client, per model: the peak
 * resident sets of `connbench run idle-10k` and `scale-50k` (docs/scale.md), less BYTES_PER_PROCESS
 * per process, divided by the clients, times about 1.5 (peaks move with GC timing) in whole KiB, plus
 * the kernel's per-socket structures at both ends. Peaks, not the after-GC figures of the result
 * rows, because a process is killed at its peak. Used only to refuse a run that cannot fit in
 * memory before it starts; a model's own cost is what the run measures.
 */
const PEAK_BYTES_PER_CONNECTION: Record<ModelId, { server: number; client: number; referenceSseClient?: number }> = {
  'short-poll': { server: 16 * 1024, client: 40 * 1024 },
  'long-poll': { server: 28 * 1024, client: 36 * 1024 },
  // The lean client by default; the eventsource package's where sse.client picks it (37.1 KiB alone, 38.7 in a worker: npm run bench, docs/benchmarks.md).
  sse: { server: 20 * 1024, client: 24 * 1024, referenceSseClient: 72 * 1024 },
  websocket: { server: 16 * 1024, client: 32 * 1024 },
  tcp: { server: 12 * 1024, client: 24 * 1024 },
};

/** Both sockets of a loopback connection in the kernel: tcp_sock, file, inode and dentry, about 4 KiB each. */
export const KERNEL_BYTES_PER_CONNECTION = 8 * 1024;

/** A Node process before it holds any connection (runtime, modules, histograms). */
export const BYTES_PER_PROCESS = 64 * 1024 * 1024;

/** The peak bytes one connection of `model` costs in this point of the scenario. */
export function peakBytesPerConnection(model: ModelId, s: Scenario): number {
  const m = PEAK_BYTES_PER_CONNECTION[model];
  const client =
    m.referenceSseClient !== undefined && sseClientFor(s.sse.client, s.clients) === 'reference' ? m.referenceSseClient : m.client;
  return m.server + client + KERNEL_BYTES_PER_CONNECTION;
}
