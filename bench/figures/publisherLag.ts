import { runModel } from '../../dist/runner/runModel.js';
import { planRun } from '../../dist/runner/plan.js';
import { openFilesLimit } from '../../dist/metrics/limits.js';
import { benchScenario, QUIET_HEARTBEAT } from '../scenario.js';
import { figure, type Figure } from '../figure.js';
import type { LatencyRow } from './latency.js';

export interface PublisherLagSize {
  /** Rates measured in runs of their own (the latency runs give one more), each with its measured window. */
  runs: { ratePerSec: number; durationMs: number }[];
  payloadBytes: number;
}

/** Issue 15: the publisher sends each message within this long of its scheduled time, at p99. */
const BUDGET_US = 100;

/**
 * The publisher's own lateness p99 (server.publishLagUs, recorded by the server per message) at
 * each rate, against the 100 µs the issue allows: a run of one tcp client per rate, plus the
 * latency runs' rate, read from the tcp latency run.
 */
export async function publisherLagFigures(size: PublisherLagSize, latencyRows: LatencyRow[]): Promise<Figure[]> {
  const measured: { ratePerSec: number; lag: LatencyRow['publishLagUs']; cpuPercent?: number }[] = [];
  for (const r of size.runs) {
    const s = benchScenario({
      models: ['tcp'],
      clients: 1,
      rampUp: '0s',
      warmup: '500ms',
      duration: `${r.durationMs}ms`,
      workload: { pattern: 'broadcast', rate: r.ratePerSec, payload: size.payloadBytes },
      heartbeat: QUIET_HEARTBEAT,
    });
    const row = await runModel(s, 'tcp', planRun(s, { openFilesLimit: openFilesLimit() }), []);
    measured.push({ ratePerSec: r.ratePerSec, lag: row.server.publishLagUs ?? null, cpuPercent: row.server.cpuPercent ?? undefined });
  }
  const fromLatency = latencyRows.find((r) => r.run.model === 'tcp');
  if (fromLatency) measured.push({ ratePerSec: fromLatency.ratePerSec, lag: fromLatency.publishLagUs });
  return measured
    .sort((a, b) => a.ratePerSec - b.ratePerSec)
    .map((m) =>
      figure({
        id: `server.publishLag.p99.${m.ratePerSec}`,
        title: `publisher lateness p99, ${m.ratePerSec} messages/s`,
        unit: 'µs',
        measured: m.lag?.p99 ?? Number.NaN,
        floor: BUDGET_US,
        floorName: 'the 100 µs budget of issue 15',
        goal: { op: '<=', ratio: 1 },
        details: {
          p50Us: m.lag?.p50 ?? 'none',
          maxUs: m.lag?.max ?? 'none',
          ...(m.cpuPercent !== undefined ? { serverCpuPercent: m.cpuPercent } : {}),
        },
      }),
    );
}
