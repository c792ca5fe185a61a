import { performance } from 'node:perf_hooks';

/**
 * Ends connections that leave a frame (or message) unfinished for longer than `stallMs`, with ONE
 * timer for all of them, as the heartbeat sweeper does: every quarter of stallMs it asks each
 * connection how far it has got. `progress(c)` is undefined when nothing is half-received, else a
 * count of what it has completed so far (frames, messages): while that count stands still and
 * something is half-received, the stall runs; a new count starts it again. A peer is cut between
 * stallMs and 1.5 × stallMs after its frame began, however steadily it trickles bytes or answers
 * heartbeats meanwhile.
 */
export class StallSweeper<C> {
  private readonly conns = new Set<C>();
  private readonly stalled = new Map<C, { sinceMs: number; progress: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stallMs: number,
    private readonly progress: (c: C) => number | undefined,
    private readonly expire: (c: C) => void,
  ) {}

  start(): void {
    if (this.timer || !(this.stallMs > 0) || !Number.isFinite(this.stallMs)) return;
    this.timer = setInterval(() => this.tick(), Math.max(5, this.stallMs / 4));
    // The connections keep the process alive, not this check.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.conns.clear();
    this.stalled.clear();
  }

  add(c: C): void {
    this.conns.add(c);
  }

  delete(c: C): void {
    this.conns.delete(c);
    this.stalled.delete(c);
  }

  private tick(): void {
    const nowMs = performance.now();
    for (const c of this.conns) {
      const progress = this.progress(c);
      if (progress === undefined) {
        this.stalled.delete(c);
        continue;
      }
      const mark = this.stalled.get(c);
      if (!mark || mark.progress !== progress) this.stalled.set(c, { sinceMs: nowMs, progress });
      else if (nowMs - mark.sinceMs >= this.stallMs) {
        this.delete(c);
        this.expire(c);
      }
    }
  }
}
