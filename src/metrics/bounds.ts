import type { ResourceSample } from './process.js';

/**
 * Error bounds of the figures that are differences of two process samples, divided by a count.
 * Pure. docs/contract.md (Result JSON, bounds) says what each bound covers; the report prints a
 * figure whose bound passes UNCERTAIN_ABOVE of it as its bound or n/a (src/report/uncertain.ts).
 */

/** RSS is counted in whole pages: each of the two readings may hold up to a page of someone else's memory. */
export const PAGE_BYTES = 4096;

/** The memory of one process at one point, sampled several times in a row, each after a forced GC. */
export type RepeatedSamples = ResourceSample[];

const spread = (xs: number[]) => (xs.length === 0 ? 0 : Math.max(...xs) - Math.min(...xs));
const last = (xs: RepeatedSamples) => xs[xs.length - 1]!;

/**
 * How far memory per connection may be off, bytes per connection, for each process sampled at the
 * baseline and with every client connected: page granularity on both readings, how much repeated
 * samples at each point disagree (GC not settled), the change of the young generation, which
 * grows with the allocation rate rather than the connections, and of compiled code, which grows
 * with the code that has run (the first connection's path is compiled once for all of them).
 * Summed over the processes.
 */
export function rssPerConnectionBound(base: RepeatedSamples[], connected: RepeatedSamples[], connections: number): number {
  if (connections <= 0) return 0;
  let bytes = 0;
  for (let i = 0; i < base.length; i++) {
    const b = base[i]!;
    const c = connected[i]!;
    const young = Math.abs((last(c).youngGenerationBytes ?? 0) - (last(b).youngGenerationBytes ?? 0));
    const code = Math.abs((last(c).codeBytes ?? 0) - (last(b).codeBytes ?? 0));
    bytes += 2 * PAGE_BYTES + spread(b.map((s) => s.rssBytes)) + spread(c.map((s) => s.rssBytes)) + young + code;
  }
  return Math.round(bytes / connections);
}

/**
 * How much of the CPU per message may be the process's background work (timers, heartbeats, IPC)
 * rather than the messages: the CPU the processes used while connected and idle, scaled to the
 * measured window, per delivery. Large when few messages share a window.
 */
export function cpuPerMessageBound(idleCpuUs: number, idleUs: number, windowUs: number, deliveries: number): number {
  if (deliveries <= 0 || idleUs <= 0) return 0;
  return Math.round(((Math.max(0, idleCpuUs) * windowUs) / idleUs / deliveries) * 100) / 100;
}
