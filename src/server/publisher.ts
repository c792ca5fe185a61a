import type { MessageLog } from './messageLog.js';
import { nowUs } from '../metrics/clock.js';
import { paddingOf } from '../models/message.js';

/**
 * The fixed-schedule publisher: message k is due at t0 + k/rate and is stamped with that
 * scheduled time even when it goes out late, so a stalled server shows up in the latency
 * percentiles (no coordinated omission).
 */
export class Publisher {
  private timer: NodeJS.Timeout | undefined;
  private k = 0;
  private running = false;
  /** The worst lateness seen (actual - scheduled), microseconds: a sign the server fell behind. */
  lateMaxUs = 0;
  private readonly log: MessageLog;
  private readonly intervalUs: number;
  private readonly t0Us: number;
  private readonly untilUs: number;
  private readonly body: string;

  /**
   * `untilUs`: the end of the window, known from the start, so the timer never publishes a message
   * scheduled at or after it. Every process given the same t0, rate and end then publishes exactly
   * the same messages, however late its stop arrives (server.processes > 1 relies on it).
   */
  constructor(log: MessageLog, opts: { ratePerSec: number; payloadBytes: number; t0Us: number; untilUs?: number }) {
    this.log = log;
    this.intervalUs = 1e6 / opts.ratePerSec;
    this.t0Us = opts.t0Us;
    this.untilUs = opts.untilUs ?? Infinity;
    this.body = paddingOf(opts.payloadBytes);
  }

  /** Scheduled time of message k (0-based), integer microseconds. */
  scheduledUs(k: number): number {
    return Math.round(this.t0Us + k * this.intervalUs);
  }

  start(): void {
    if (this.running || !Number.isFinite(this.intervalUs)) return;
    this.running = true;
    this.tick();
  }

  /**
   * Stops the schedule; returns how many messages it published. With untilUs, first publishes every
   * message scheduled before it that a stalled event loop has not sent yet, so a late server still
   * publishes the whole window (late, and so with the latency it deserves) instead of dropping it.
   */
  stop(untilUs?: number): number {
    if (this.running && untilUs !== undefined) {
      const now = nowUs();
      while (this.scheduledUs(this.k) < Math.min(untilUs, this.untilUs)) {
        const t = this.scheduledUs(this.k);
        this.lateMaxUs = Math.max(this.lateMaxUs, now - t);
        this.log.append({ t, body: this.body });
        this.k++;
      }
    }
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.k;
  }

  private tick(): void {
    if (!this.running) return;
    const now = nowUs();
    // Publish everything due by now, each with its own scheduled stamp.
    while (this.scheduledUs(this.k) <= now && this.scheduledUs(this.k) < this.untilUs) {
      const t = this.scheduledUs(this.k);
      this.lateMaxUs = Math.max(this.lateMaxUs, now - t);
      this.log.append({ t, body: this.body });
      this.k++;
    }
    // The window is over: the stop publishes nothing more.
    if (this.scheduledUs(this.k) >= this.untilUs) return;
    const waitMs = Math.max(0, (this.scheduledUs(this.k) - nowUs()) / 1000);
    this.timer = setTimeout(() => this.tick(), waitMs);
  }
}
