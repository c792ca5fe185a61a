import type { ResourceSample } from '../runner/ipc.js';
import { nowUs } from './clock.js';

/** Forces a full GC when the process runs with --expose-gc (the runner forks children so). */
export function forceGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

export function sampleProcess(openSockets: number): ResourceSample {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    pid: process.pid,
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    atUs: nowUs(),
    openSockets,
  };
}

/** The process's peak resident set since it started (getrusage maxrss). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
