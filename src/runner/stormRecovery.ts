import type { StormRecovery } from '../report/result.js';
import { BUCKET_US, type StormReport } from '../ipc/worker.js';

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
