import { nowUs } from '../metrics/clock.js';

/**
 * Calls back at a monotonic instant to within microseconds, without holding a core while it waits.
 * A Node timer alone fires up to a millisecond or more late (libuv keeps time and poll timeouts in
 * whole milliseconds), so the wait has three stages (docs/benchmarks.md, The on-time publisher):
 *
 * 1. a timer, armed to fire COARSE_LEAD_US before the instant, far enough ahead of its own lateness;
 * 2. slices of Atomics.wait (a futex sleep with sub-millisecond timeouts, no CPU), each followed by
 *    one turn of the event loop through setImmediate, so I/O and IPC are never held up by more than
 *    a slice;
 * 3. the last SPIN_US read the clock in a loop: a futex sleep may wake as late as the kernel's timer
 *    slack (50 µs by default), which a spin of that length absorbs.
 */
export const COARSE_LEAD_US = 1_500;
export const SLICE_US = 500;
export const SPIN_US = 150;

/** Shared memory Atomics.wait sleeps on; nothing ever notifies it, so every wait runs to its timeout. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function sleepUs(us: number): void {
  if (us > 0) Atomics.wait(sleepCell, 0, 0, us / 1000);
}

/** Spins until the instant; bounded by the instant itself, which callers keep within SPIN_US. */
function spinUntil(dueUs: number): void {
  while (nowUs() < dueUs);
}

export class OnTimeWaiter {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private dueUs = 0;
  private fire: (() => void) | undefined;

  /**
   * Calls `fire` once at `dueUs` (in the next event-loop turn when it is near or past); replaces a
   * pending call. Never calls it before returning: a callback that asks for the next instant at
   * once (a publisher at thousands of messages per second) would otherwise recurse once per message
   * until the stack overflows, and would never let the event loop read its sockets.
   */
  at(dueUs: number, fire: () => void): void {
    this.cancel();
    this.dueUs = dueUs;
    this.fire = fire;
    const leadUs = dueUs - nowUs();
    if (leadUs > COARSE_LEAD_US) this.timer = setTimeout(() => this.approach(), (leadUs - COARSE_LEAD_US) / 1000);
    else this.immediate = setImmediate(() => this.approach());
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.fire = undefined;
  }

  /** Stage 2 and 3: one slice per event-loop turn, then the spin and the call. */
  private approach(): void {
    this.timer = undefined;
    this.immediate = undefined;
    const fire = this.fire;
    if (!fire) return;
    const remainingUs = this.dueUs - nowUs();
    if (remainingUs > SPIN_US) {
      sleepUs(Math.min(remainingUs - SPIN_US, SLICE_US));
      this.immediate = setImmediate(() => this.approach());
      return;
    }
    spinUntil(this.dueUs);
    this.fire = undefined;
    fire();
  }
}
