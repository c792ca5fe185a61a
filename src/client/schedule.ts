/**
 * A fixed-rate schedule: event j is due at t0 + j / rate, whatever time it actually fires, so the
 * scheduled time can stamp what it does (latency counts from there: no coordinated omission).
 * One schedule serves a whole worker; the caller spreads events over its clients by j.
 */
export class FixedRateSchedule {
  private j = 0;
  private readonly intervalUs: number;
  private readonly t0Us: number;
  private readonly untilUs: number;

  constructor(opts: { ratePerSec: number; t0Us: number; untilUs: number }) {
    this.intervalUs = opts.ratePerSec > 0 ? 1e6 / opts.ratePerSec : Infinity;
    this.t0Us = opts.t0Us;
    this.untilUs = opts.untilUs;
  }

  /** Events fired so far. */
  get fired(): number {
    return this.j;
  }

  /** Calls fire(j, scheduledUs) for every event due by nowUs; returns false once past the end. */
  due(nowUs: number, fire: (j: number, scheduledUs: number) => void): boolean {
    if (!Number.isFinite(this.intervalUs)) return false;
    for (;;) {
      const t = Math.round(this.t0Us + this.j * this.intervalUs);
      if (t >= this.untilUs) return false;
      if (t > nowUs) return true;
      fire(this.j, t);
      this.j++;
    }
  }

  /** Microseconds until the next event is due (0 when one is already due). */
  waitUs(nowUs: number): number {
    return Math.max(0, Math.round(this.t0Us + this.j * this.intervalUs) - nowUs);
  }
}

/**
 * Runs a schedule on a timer that wakes when the next event is due (not on a fixed tick, so a
 * slow rate costs no idle wake-ups). `flush()` fires everything due before the end at once.
 */
export class ScheduleTimer {
  private timer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    private readonly schedule: FixedRateSchedule,
    private readonly now: () => number,
    private readonly fire: (j: number, scheduledUs: number) => void,
  ) {}

  start(): void {
    const tick = () => {
      this.timer = undefined;
      if (this.done) return;
      const now = this.now();
      if (!this.schedule.due(now, this.fire)) return void (this.done = true);
      // At least 1 ms: setTimeout cannot do better, and a busy loop would starve the clients.
      this.timer = setTimeout(tick, Math.max(1, this.schedule.waitUs(this.now()) / 1000));
    };
    tick();
  }

  /** Fires every event scheduled before the end (call once the end has passed), then stops. */
  flush(): void {
    this.stop();
    this.schedule.due(Infinity, this.fire);
  }

  stop(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
