import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { nowUs } from './clock.js';

/** Memory and CPU of a process and all its descendants (nginx: master and workers), read from /proc. */
export interface TreeSample {
  /** The processes found, the root first. */
  pids: number[];
  rssBytes: number;
  /** CPU time on a core since each started, µs: from the scheduler's nanoseconds (/proc/PID/task/TID/schedstat), not the 10 ms ticks of /proc/PID/stat. */
  cpuUs: number;
  /** When it was read (monotonic µs). */
  atUs: number;
  /** Sockets the processes hold (listeners included). */
  sockets: number;
}

/** `VmRSS:   1234 kB` → bytes; 0 when the line is missing (a zombie has none). Pure. */
export function parseVmRssBytes(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** The first field of a schedstat line: nanoseconds spent on a CPU. Pure. */
export function parseSchedstatNs(text: string): number {
  const n = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(n) ? n : 0;
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** The names in a /proc directory; none when the process (or thread) is gone. */
const list = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** A process's children, from every thread's children list. */
function childrenOf(pid: number): number[] {
  return list(`/proc/${pid}/task`).flatMap((tid) =>
    (read(`/proc/${pid}/task/${tid}/children`) ?? '').split(/\s+/).filter(Boolean).map(Number),
  );
}

function socketsOf(pid: number): number {
  let n = 0;
  for (const fd of list(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // Closed meanwhile.
    }
  }
  return n;
}

function cpuNsOf(pid: number): number {
  return list(`/proc/${pid}/task`).reduce((a, tid) => a + parseSchedstatNs(read(`/proc/${pid}/task/${tid}/schedstat`) ?? '0'), 0);
}

/**
 * The tree under `root` now; undefined when `root` is gone. The CPU of a descendant that exited
 * is no longer counted, so a sample is only comparable with one of the same live processes.
 */
export function sampleProcessTree(root: number): TreeSample | undefined {
  if (read(`/proc/${root}/status`) === undefined) return undefined;
  const pids: number[] = [];
  const queue = [root];
  while (queue.length > 0 && pids.length < 1000) {
    const pid = queue.shift()!;
    pids.push(pid);
    queue.push(...childrenOf(pid));
  }
  let rssBytes = 0;
  let cpuNs = 0;
  let sockets = 0;
  for (const pid of pids) {
    rssBytes += parseVmRssBytes(read(`/proc/${pid}/status`) ?? '');
    cpuNs += cpuNsOf(pid);
    sockets += socketsOf(pid);
  }
  return { pids, rssBytes, cpuUs: Math.round(cpuNs / 1000), atUs: nowUs(), sockets };
}
