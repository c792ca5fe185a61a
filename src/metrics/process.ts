import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { nowUs } from './clock.js';

/** One process's memory, CPU and connections at one moment (every child reports these over IPC). */
export interface ResourceSample {
  pid: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Cumulative process CPU, microseconds. */
  cpuUserUs: number;
  cpuSystemUs: number;
  atUs: number;
  openSockets: number;
  /**
   * Memory V8 has committed to its young generation (new space). It grows with the allocation rate,
   * not with connections, and a forced GC empties it without giving it back: a change of it between
   * two samples is memory that is not per connection (src/metrics/bounds.ts).
   */
  youngGenerationBytes?: number;
  /**
   * Memory V8 holds for compiled code. It grows with the code the process has run, not with
   * connections: the first connection compiles the paths every later one takes.
   */
  codeBytes?: number;
}

/** Forces a full GC when the process runs with --expose-gc (the runner forks children so). */
export function forceGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** The last memory figures read, for when they cannot be read again. */
let lastMemory: { rss: number; heapUsed: number } | undefined;

/**
 * RSS is read from /proc/self, which takes a descriptor: a process out of them (EMFILE, a worker
 * at its limit) would throw here and fail the run. It then reports the heap (no file needed) and
 * the last RSS it read.
 */
function memoryUsage(): { rss: number; heapUsed: number } {
  try {
    return (lastMemory = process.memoryUsage());
  } catch {
    return { rss: lastMemory?.rss ?? 0, heapUsed: getHeapStatistics().used_heap_size };
  }
}

export function sampleProcess(openSockets: number): ResourceSample {
  const mem = memoryUsage();
  const cpu = process.cpuUsage();
  return {
    pid: process.pid,
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    atUs: nowUs(),
    openSockets,
    ...v8Spaces(),
  };
}

function v8Spaces(): Pick<ResourceSample, 'youngGenerationBytes' | 'codeBytes'> {
  let youngGenerationBytes = 0;
  let codeBytes = 0;
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name === 'new_space') youngGenerationBytes = s.space_size;
    else if (s.space_name === 'code_space' || s.space_name === 'code_large_object_space') codeBytes += s.physical_space_size;
  }
  return { youngGenerationBytes, codeBytes };
}

/** The process's peak resident set since it started (getrusage maxrss). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
