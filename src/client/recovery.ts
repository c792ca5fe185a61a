/**
 * Recovery after a reconnect storm. A storm drops every connection at time S; clients come back
 * with jittered backoff. Two figures answer "how long until the system is whole again":
 *  - allBackMs: until the last client subscribed again;
 *  - caughtUpMs: until every message scheduled before that moment had been delivered (the
 *    backlog each client fetched from its cursor, and sends that waited in outboxes).
 * Arrivals are kept as the latest arrival per 10 ms bucket of scheduled time, so workers can be
 * merged and the cut made at the run-wide "all back" time: exact to one bucket, at any scale.
 */
import type { StormRecovery } from '../report/result.js';

export const BUCKET_US = 10_000;

/** What a worker reports about one storm (monotonic µs; IPC-safe plain data). */
export interface StormReport {
  atUs: number;
  /** Clients that were connected (ever subscribed) when the storm hit. */
  dropped: number;
  /** Of those, how many have subscribed again. */
  back: number;
  /** When the last of them subscribed again; null while any is still away. */
  allBackAtUs: number | null;
  /** Latest arrival (µs after the storm, 0 = none) of messages scheduled in bucket k: k = 0 before the storm, k ≥ 1 in [S + (k-1)·BUCKET, S + k·BUCKET). */
  latestArrivalUs: number[];
}

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

/** Merges the workers' reports of one storm into the figures of the result. Pure. */
export function summarizeStorm(reports: StormReport[], publishStartUs: number): StormRecovery | undefined {
  if (reports.length === 0) return undefined;
  const atUs = reports[0]!.atUs;
  const dropped = reports.reduce((a, r) => a + r.dropped, 0);
  const back = reports.reduce((a, r) => a + r.back, 0);
  const allBackAtUs = reports.some((r) => r.allBackAtUs === null) ? null : Math.max(atUs, ...reports.map((r) => r.allBackAtUs!));
  let caughtUpMs: number | null = null;
  if (allBackAtUs !== null) {
    // Buckets that start before "all back" hold messages the storm held up.
    const lastBucket = Math.floor((allBackAtUs - atUs) / BUCKET_US) + 1;
    let latestUs = allBackAtUs - atUs;
    for (const r of reports)
      for (let k = 0; k <= lastBucket && k < r.latestArrivalUs.length; k++) latestUs = Math.max(latestUs, r.latestArrivalUs[k]!);
    caughtUpMs = roundMs(latestUs);
  }
  return {
    action: 'reconnect-storm',
    atMs: roundMs(atUs - publishStartUs),
    droppedClients: dropped,
    backClients: back,
    allBackMs: allBackAtUs === null ? null : roundMs(allBackAtUs - atUs),
    caughtUpMs,
  };
}

/** Microseconds as milliseconds to a tenth, as the result reports them. */
export const roundMs = (us: number) => Math.round(us / 100) / 10;
