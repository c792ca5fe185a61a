/**
 * Recovery after a reconnect storm. A storm drops every connection at time S; clients come back
 * with jittered backoff. Two figures answer "how long until the system is whole again":
 *  - allBackMs: until the last client subscribed again;
 *  - caughtUpMs: until every message scheduled before that moment had been delivered (the
 *    backlog each client fetched from its cursor, and sends that waited in outboxes).
 * Arrivals are kept as the latest arrival per 10 ms bucket of scheduled time, so workers can be
 * merged and the cut made at the run-wide "all back" time: exact to one bucket, at any scale.
 */
import { BUCKET_US, type StormReport } from '../ipc/worker.js';

/** Tracks one storm inside a worker. */
export class StormTracker {
  private readonly latest: number[] = [];

  constructor(readonly atUs: number) {}

  /** A first delivery of a message scheduled at tUs arrived at atUs. */
  arrival(tUs: number, atUs: number): void {
    if (atUs < this.atUs) return;
    const k = tUs < this.atUs ? 0 : Math.floor((tUs - this.atUs) / BUCKET_US) + 1;
    const rel = atUs - this.atUs;
    while (this.latest.length <= k) this.latest.push(0);
    if (rel > this.latest[k]!) this.latest[k] = rel;
  }

  report(dropped: { backAtUs: number | undefined | null }[]): StormReport {
    let back = 0;
    let allBackAtUs: number | null = this.atUs;
    for (const c of dropped) {
      if (typeof c.backAtUs === 'number') {
        back++;
        if (allBackAtUs !== null) allBackAtUs = Math.max(allBackAtUs, c.backAtUs);
      } else allBackAtUs = null;
    }
    return { atUs: this.atUs, dropped: dropped.length, back, allBackAtUs, latestArrivalUs: [...this.latest] };
  }
}
