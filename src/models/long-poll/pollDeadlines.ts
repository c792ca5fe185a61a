import { performance } from 'node:perf_hooks';

/** Not waiting for a request: between a request's arrival and its answer (a held poll included). */
const DISARMED = Infinity;

export interface PollDeadlinesOptions<K> {
  /** The clock (ms); tests move their own. Default performance.now(). */
  nowMs?: () => number;
  /**
   * Whether a connection still has answer bytes queued: its client is still reading (TCP acks
   * them), so a passed deadline restarts at `busyGraceMs` from now instead of expiring.
   */
  busy?: (k: K) => boolean;
  busyGraceMs?: number;
}

/**
 * The polling server's dead-peer deadlines, one number per keep-alive connection and ONE timer for
 * all of them (a timer or closure per connection would cost memory per client, which is what a
 * run measures). After an answer a connection must bring its next request within the deadline;
 * a request disarms it, since while the server holds or answers a request it is the one waiting.
 *
 * `K` is the connection (a socket); the caller hooks its close to `closed()` once, when `arrived()`
 * says the connection is new here.
 */
export class PollDeadlines<K> {
  /** Due time (clock ms) of each connection's next request; DISARMED while a request is in hand. */
  private readonly dueAtMs = new Map<K, number>();
  private timer: NodeJS.Timeout | undefined;

  private readonly expire: (k: K) => void;
  private readonly nowMs: () => number;
  private readonly busy: (k: K) => boolean;
  private readonly busyGraceMs: number;

  /** `expire` ends a connection whose deadline passed (already forgotten here). */
  constructor(expire: (k: K) => void, o: PollDeadlinesOptions<K> = {}) {
    this.expire = expire;
    this.nowMs = o.nowMs ?? (() => performance.now());
    this.busy = o.busy ?? (() => false);
    this.busyGraceMs = o.busyGraceMs ?? 0;
  }

  /** Connections watched (open and seen to poll). */
  get size(): number {
    return this.dueAtMs.size;
  }

  /** A request arrived on `k`: disarms its deadline. True when `k` is new here (hook its close now). */
  arrived(k: K): boolean {
    const isNew = !this.dueAtMs.has(k);
    this.dueAtMs.set(k, DISARMED);
    return isNew;
  }

  /**
   * An answer left on `k`: its next request is due within `withinMs`. A connection that closed
   * meanwhile (a held poll's peer went away) stays forgotten.
   */
  answered(k: K, withinMs: number): void {
    if (this.dueAtMs.has(k)) this.dueAtMs.set(k, this.nowMs() + withinMs);
  }

  closed(k: K): void {
    this.dueAtMs.delete(k);
  }

  /** Expires every connection whose deadline has passed; the timer's tick, callable in tests. */
  sweep(): void {
    const nowMs = this.nowMs();
    for (const [k, dueAtMs] of this.dueAtMs) {
      if (nowMs < dueAtMs) continue;
      if (this.busy(k)) {
        this.dueAtMs.set(k, nowMs + this.busyGraceMs);
        continue;
      }
      this.dueAtMs.delete(k);
      this.expire(k);
    }
  }

  start(tickMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), tickMs);
    // The connections keep the process alive, not their deadlines.
    this.timer.unref();
  }

  /** Stops the timer and forgets every connection: answers after this arm nothing. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.dueAtMs.clear();
  }
}
