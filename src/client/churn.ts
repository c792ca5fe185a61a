import { FixedRateSchedule, ScheduleTimer } from './schedule.js';
import { nowUs } from '../metrics/clock.js';

/** What churn needs of a client: whether it is up, and a way to cut it. */
export interface Churnable {
  readonly connected: boolean;
  drop(): void;
}

/**
 * Connection churn: at a fixed rate, one connected client (drawn at random) loses its connection
 * and reconnects by itself, resuming from its cursor, as a page reload or a flaky network would.
 * The rate is this worker's share of the scenario's churn.
 */
export class Churn {
  /** Connections this churn closed. */
  closed = 0;
  private readonly timer: ScheduleTimer;

  /** `opts.now`: the clock t0Us and untilUs are in; default this host's. */
  constructor(
    opts: { ratePerSec: number; t0Us: number; untilUs: number; now?: () => number },
    private readonly clients: Churnable[],
    private readonly random: () => number = Math.random,
  ) {
    this.timer = new ScheduleTimer(new FixedRateSchedule(opts), opts.now ?? nowUs, () => this.dropOne());
  }

  start(): void {
    this.timer.start();
  }

  stop(): void {
    this.timer.stop();
  }

  /** Drops a random connected client; when it draws one that is down, it tries the next ones. */
  private dropOne(): void {
    const n = this.clients.length;
    if (n === 0) return;
    const start = Math.floor(this.random() * n);
    for (let k = 0; k < n; k++) {
      const c = this.clients[(start + k) % n]!;
      if (c.connected) {
        c.drop();
        this.closed++;
        return;
      }
    }
  }
}

/** This worker's share of a rate spread over all clients. */
export function shareOf(ratePerSec: number, workerClients: number, totalClients: number): number {
  return totalClients > 0 ? (ratePerSec * workerClients) / totalClients : 0;
}
