import type { ResourceSample } from '../metrics/process.js';
import type { ProcessUsage } from '../report/result.js';
import type { ChildProcess } from 'node:child_process';

/** Whether a forked child has not exited (it may still answer a last sample). */
export function isAlive(child: { proc: ChildProcess }): boolean {
  return child.proc.exitCode === null && child.proc.signalCode === null;
}

/** What each client worker reported about itself over a model run: the `processes` rows of the workers. */
export class WorkerUsage {
  private readonly byIndex = new Map<number, ProcessUsage>();

  /** A worker has been forked: it has a row from now on, even if it never answers a sample. */
  forked(index: number, pid: number): void {
    this.row(index, pid);
  }

  /** Records a sample of worker `index`; returns it, so it can sit inside a sampling chain. */
  note(index: number, sample: ResourceSample): ResourceSample {
    const u = this.row(index, sample.pid);
    u.openSockets = Math.max(u.openSockets, sample.openSockets);
    // A worker reports its true peak only when it drains; until then its largest sample stands in.
    u.peakRssBytes = Math.max(u.peakRssBytes, sample.rssBytes);
    return sample;
  }

  /** The worker's own peak resident set (getrusage maxrss), reported when it drains. */
  peak(index: number, peakRssBytes: number): void {
    const u = this.byIndex.get(index);
    if (u) u.peakRssBytes = Math.max(u.peakRssBytes, peakRssBytes);
  }

  rows(): ProcessUsage[] {
    return [...this.byIndex.values()].sort((a, b) => a.index - b.index);
  }

  private row(index: number, pid: number): ProcessUsage {
    let u = this.byIndex.get(index);
    if (!u) this.byIndex.set(index, (u = { role: 'client', index, pid, peakRssBytes: 0, openSockets: 0 }));
    return u;
  }
}
