import type { MessageLog } from './messageLog.js';
import { nowUs } from '../metrics/clock.js';
import { LatencyRecorder } from '../metrics/histogram.js';
import { paddingOf } from '../models/message.js';
import { OnTimeWaiter } from './onTime.js';

export interface PublisherSchedule {
  ratePerSec: number;
  payloadBytes: number;
  t0Us: number;
  /** The end of the window: no message scheduled at or after it is published. */
  untilUs?: number;
  /** The publisher's own lateness is recorded for messages scheduled at or after this (the measured window). */
  recordLagFromUs?: number;
}

/**
 * The fixed-schedule publisher: message k is due at t0 + k/rate and is stamped with that
 * scheduled time even when it goes out late, so a stalled server shows up in the latency
 * percentiles (no coordinated omission). It waits for each message with OnTimeWaiter, so a message
 * leaves within microseconds of its time, and records how late each one left (`lag`): the part of
 * every latency that is the server's own scheduling.
 */
export class Publisher {
  private readonly waiter: OnTimeWaiter;
  private k = 0;
  private running = false;
  /** The worst lateness seen (actual - scheduled), microseconds: a sign the server fell behind. */
  lateMaxUs = 0;
  /** Lateness of each message scheduled from recordLagFromUs on, microseconds. */
  readonly lag = LatencyRecorder.ready();
  /**
   * For the same messages, microseconds from the scheduled time until the server had handed the
   * message on: the publishing callback, then all the process.nextTick and microtask work it queued
   * (a push model's corked writes and their flush, a held poll's answer, and what follows them in
   * those queues). An upper bound on the server's part of the latency; this minus lag is the
   * server's own path.
   */
  readonly handoff = LatencyRecorder.ready();
  /** Scheduled times of the messages published in this turn whose handoff is still to be recorded. */
  private readonly handoffPending: number[] = [];
  private readonly log: MessageLog;
  private readonly intervalUs: number;
  private readonly t0Us: number;
  private readonly untilUs: number;
  private readonly recordLagFromUs: number;
  private readonly body: string;

  /**
   * `untilUs` is known from the start, so the schedule never publishes a message scheduled at or
   * after it. Every process given the same t0, rate and end then publishes exactly the same
   * messages, however late its stop arrives (server.processes > 1 relies on it).
   */
  constructor(log: MessageLog, opts: PublisherSchedule) {
    this.log = log;
    this.intervalUs = 1e6 / opts.ratePerSec;
    this.waiter = new OnTimeWaiter(this.intervalUs);
    this.t0Us = opts.t0Us;
    this.untilUs = opts.untilUs ?? Infinity;
    this.recordLagFromUs = opts.recordLagFromUs ?? opts.t0Us;
    this.body = paddingOf(opts.payloadBytes);
  }

  /** Microseconds spent spinning for the instants of its messages (OnTimeWaiter.spunUs). */
  get spunUs(): number {
    return this.waiter.spunUs;
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
    if (this.running && untilUs !== undefined) this.publishDue(Infinity, Math.min(untilUs, this.untilUs));
    this.running = false;
    this.waiter.cancel();
    return this.k;
  }

  /** Publishes every message scheduled at or before `dueByUs` and before `endUs`, each with its own stamp. */
  private publishDue(dueByUs: number, endUs: number): void {
    for (let t = this.scheduledUs(this.k); t <= dueByUs && t < endUs; t = this.scheduledUs(this.k)) {
      const lateUs = nowUs() - t;
      if (lateUs > this.lateMaxUs) this.lateMaxUs = lateUs;
      const recorded = t >= this.recordLagFromUs;
      // A stop may publish the rest of the window before it is due: that is early, not late.
      if (recorded) this.lag.recordValue(Math.max(0, lateUs));
      this.log.append({ t, body: this.body });
      if (recorded && this.handoffPending.push(t) === 1) process.nextTick(this.afterTicks);
      this.k++;
    }
  }

  /**
   * A nextTick that queues a microtask: Node runs the whole tick queue (the flushes queued by this
   * turn's appends, before or after this one) before any microtask, and this microtask after the
   * ones queued before it (a held poll's answer).
   */
  private readonly afterTicks = (): void => queueMicrotask(this.recordHandoff);

  private readonly recordHandoff = (): void => {
    const atUs = nowUs();
    for (const t of this.handoffPending) this.handoff.recordValue(Math.max(0, atUs - t));
    this.handoffPending.length = 0;
  };

  private tick(): void {
    if (!this.running) return;
    this.publishDue(nowUs(), this.untilUs);
    const nextUs = this.scheduledUs(this.k);
    // The window is over: the stop publishes nothing more.
    if (nextUs >= this.untilUs) return;
    this.waiter.at(nextUs, () => this.tick());
  }
}
