import { nowUs } from '../metrics/clock.js';
import { Spinner } from './spin.js';

/**
 * Calls back at a monotonic instant to within microseconds, without holding a core while it waits.
 * A Node timer alone fires up to a millisecond or more late (libuv keeps time and poll timeouts in
 * whole milliseconds), so the wait has three stages (docs/benchmarks.md, The on-time publisher):
 *
 * 1. a timer, armed to fire COARSE_LEAD_US before the spin begins, far enough ahead of its own
 *    lateness (an epoll sleep of milliseconds that wakes late here wakes milliseconds late);
 * 2. slices of Atomics.wait (a futex sleep with sub-millisecond timeouts, no CPU), each followed by
 *    one turn of the event loop through setImmediate, so I/O and IPC are never held up by more than
 *    a slice;
 * 3. a spin up to the instant (Spinner, which reads the clock at most every READ_EVERY_US). A futex
 *    sleep wakes late by the kernel's timer slack (50 µs by default) and, on a virtual machine, by
 *    however long the host takes to give the halted core back (up to milliseconds now and then), so
 *    the spin (spinBefore) is as long as this machine's recent sleeps have needed (WakeLateness):
 *    SPIN_MIN_US where they wake promptly, up to SPIN_MAX_US where they do not; at low rates never
 *    shorter than SPIN_FLOOR_SHARE of the time between two instants, for the rare wake that is later
 *    than the recent ones; and never more than SPIN_SHARE of it, so the spin costs at most half a
 *    core (a twentieth of one at 10/s) up to 3,333 instants a second, where SPIN_MIN_US is half the
 *    interval.
 */
export const COARSE_LEAD_US = 4_000;
export const SLICE_US = 500;
export const SPIN_MIN_US = 150;
export const SPIN_MAX_US = 2_000;
export const SPIN_SHARE = 0.5;
/**
 * The spin is never shorter than this share of the time between two instants, up to
 * SPIN_FLOOR_MAX_US: at low rates a futex sleep that wakes milliseconds late is rare, but one
 * such wake is the p99 of a few hundred messages, and a tenth of a core (a twentieth at 10/s)
 * covers it. At 1000/s and above it is below SPIN_MIN_US and the wakes alone set the spin.
 */
export const SPIN_FLOOR_SHARE = 0.1;
export const SPIN_FLOOR_MAX_US = 5_000;
/** Added to the lateness the spin must cover: the sleep that ends the approach is measured after the fact. */
const SPIN_MARGIN_US = 50;
/** Sleeps remembered: enough for the second largest to be a p98, few enough to follow a change of load. */
const WAKES_KEPT = 64;

/**
 * How late the last WAKES_KEPT futex sleeps woke, and the spin that covers them: the second
 * largest plus a margin, between SPIN_MIN_US and SPIN_MAX_US. The second largest, so that one
 * hiccup alone does not make every later message spin for milliseconds. Pure.
 */
export class WakeLateness {
  private readonly lateUs = new Float64Array(WAKES_KEPT);
  private next = 0;
  private count = 0;
  /** How long to spin before an instant. */
  spinUs = SPIN_MIN_US;

  note(lateUs: number): void {
    this.lateUs[this.next] = Math.max(0, lateUs);
    this.next = (this.next + 1) % WAKES_KEPT;
    if (this.count < WAKES_KEPT) this.count++;
    let first = 0;
    let second = 0;
    for (let i = 0; i < this.count; i++) {
      const v = this.lateUs[i]!;
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) second = v;
    }
    this.spinUs = Math.min(SPIN_MAX_US, Math.max(SPIN_MIN_US, Math.ceil(second) + SPIN_MARGIN_US));
  }
}

/**
 * The spin before each instant of a schedule `intervalUs` apart: what recent wakes needed
 * (`wakeSpinUs`, from WakeLateness) or SPIN_FLOOR_SHARE of the interval, whichever is longer, and
 * never more than SPIN_SHARE of it (nor less than SPIN_MIN_US). Pure.
 */
export function spinBefore(intervalUs: number, wakeSpinUs: number): number {
  const floorUs = Math.min(SPIN_FLOOR_MAX_US, intervalUs * SPIN_FLOOR_SHARE);
  return Math.min(Math.max(wakeSpinUs, floorUs), Math.max(SPIN_MIN_US, intervalUs * SPIN_SHARE));
}

/** Shared memory Atomics.wait sleeps on; nothing ever notifies it, so every wait runs to its timeout. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps about `us` and returns how much later than that it woke. */
function sleepUs(us: number): number {
  const startUs = nowUs();
  Atomics.wait(sleepCell, 0, 0, us / 1000);
  return nowUs() - startUs - us;
}

export class OnTimeWaiter {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private dueUs = 0;
  /** The spin before this instant (spinBefore). */
  private spinUs = SPIN_MIN_US;
  private fire: (() => void) | undefined;
  /** This machine's recent wake-up lateness, which sets the spin. */
  private readonly wakes = new WakeLateness();
  /** Stage 3, at most SPIN_FLOOR_MAX_US long: the spin chosen in at(). */
  private readonly spinner = new Spinner();
  /** The time between two instants of the schedule this waiter serves, which sizes the spin. */
  private readonly intervalUs: number;

  constructor(intervalUs: number) {
    this.intervalUs = intervalUs;
  }

  /**
   * Calls `fire` once at `dueUs` (in the next event-loop turn when it is near or past); replaces a
   * pending call. Never calls it before returning: a callback that asks for the next instant at
   * once (a publisher at thousands of messages per second) would otherwise recurse once per message
   * until the stack overflows, and would never let the event loop read its sockets.
   */
  at(dueUs: number, fire: () => void): void {
    this.cancel();
    this.spinUs = spinBefore(this.intervalUs, this.wakes.spinUs);
    this.dueUs = dueUs;
    this.fire = fire;
    const timerLeadUs = dueUs - nowUs() - this.spinUs - COARSE_LEAD_US;
    if (timerLeadUs > 0) this.timer = setTimeout(this.approach, timerLeadUs / 1000);
    else this.immediate = setImmediate(this.approach);
  }

  /**
   * Microseconds this waiter has spent spinning (Spinner.spunUs): connbench's own waiting, which
   * the server's CPU figures include and a real server would not spend (server.publishSpinCpuUsPerMessage).
   */
  get spunUs(): number {
    return this.spinner.spunUs;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.fire = undefined;
  }

  /** Stage 2 and 3: one slice per event-loop turn, then the spin and the call. */
  private readonly approach = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    const fire = this.fire;
    if (!fire) return;
    const remainingUs = this.dueUs - nowUs();
    if (remainingUs > this.spinUs) {
      this.wakes.note(sleepUs(Math.min(remainingUs - this.spinUs, SLICE_US)));
      this.immediate = setImmediate(this.approach);
      return;
    }
    this.spinner.until(this.dueUs);
    this.fire = undefined;
    fire();
  };
}
