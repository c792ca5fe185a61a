/**
 * Recovery after each scenario fault (src/runner/faults.ts carries them out), measured as a
 * reconnect storm's is (src/client/recovery.ts): a watch is armed just before the fault strikes;
 * the clients whose connection ends after that are the ones it dropped, and their return plus the
 * delivery of every message scheduled before it make the report. The runner merges the workers'
 * reports and moves the "all back" moment to when the fault itself was over (a stall drops nobody,
 * yet nothing scheduled during it arrives before it ends).
 */
import { StormTracker } from './recovery.js';
import { type StormReport } from '../ipc/worker.js';
import type { ClientSession } from './session.js';
import { nowUs } from '../metrics/clock.js';

/** Arm this long before the fault: the worker's timer and the runner's may each be a little late. */
export const ARM_LEAD_MS = 100;

interface Watch {
  tracker: StormTracker;
  sessions: ClientSession[];
  reconnectsBefore: Int32Array;
  /** Set when the next fault is armed: the sessions this one dropped, and when each came back (null: not yet). */
  dropped?: ClientSession[];
  backAtUs?: (number | null)[];
}

/**
 * Sessions keep one "back" time (ClientSession.backAtUs), reset by every arm; so each arm first
 * settles the earlier watches: who they dropped (a reconnect since they were armed) and who of those
 * is back. A client still away when the next fault strikes comes back for both at once.
 */
export class FaultWatch {
  private readonly watches: Watch[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly sessions: ClientSession[];

  constructor(sessions: ClientSession[]) {
    this.sessions = sessions;
  }

  /** One watch per fault, armed ARM_LEAD_MS before it strikes (monotonic µs, in time order). */
  schedule(faultAtUs: number[]): void {
    for (const atUs of faultAtUs) {
      const inMs = Math.max(0, (atUs - nowUs()) / 1000 - ARM_LEAD_MS);
      this.timers.push(setTimeout(() => this.arm(atUs), inMs));
    }
  }

  /** A first delivery of a message scheduled at tUs arrived at atUs. */
  arrival(tUs: number, atUs: number): void {
    for (const w of this.watches) w.tracker.arrival(tUs, atUs);
  }

  /** One report per fault armed, in order. */
  finish(): StormReport[] {
    this.settle();
    return this.watches.map((w) => w.tracker.report(w.backAtUs!.map((backAtUs) => ({ backAtUs }))));
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  private arm(atUs: number): void {
    this.settle();
    const sessions = this.sessions.filter((s) => s.everSubscribed);
    for (const s of sessions) s.awaitBack();
    this.watches.push({ tracker: new StormTracker(atUs), sessions, reconnectsBefore: Int32Array.from(sessions, (s) => s.reconnects) });
  }

  /** Fixes who each watch dropped (once) and records the returns seen so far. */
  private settle(): void {
    for (const w of this.watches) {
      if (!w.dropped) {
        w.dropped = w.sessions.filter((s, i) => s.reconnects > w.reconnectsBefore[i]!);
        w.backAtUs = w.dropped.map(() => null);
      }
      w.dropped.forEach((s, i) => {
        if (w.backAtUs![i] === null && typeof s.backAtUs === 'number') w.backAtUs![i] = s.backAtUs;
      });
    }
  }
}
