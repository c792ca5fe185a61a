import { runModel } from '../../dist/runner/runModel.js';
import { planRun } from '../../dist/runner/plan.js';
import { openFilesLimit } from '../../dist/metrics/limits.js';
import { benchScenario, QUIET_HEARTBEAT } from '../scenario.js';
import { figure, type Figure } from '../figure.js';
import type { LatencyRow } from './latency.js';
import { CONTROL_TIMEOUT_MS, floorChild } from '../children.js';
import type { FromSpinSchedule, ToSpinSchedule } from '../floors/protocol.js';

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
 * latency runs' rate, read from the tcp latency run. Beside each, in the details, the machine's
 * floor at that rate and count (floors/spinSchedule.js: a process that never sleeps), measured
 * right after it: when the floor's p99 alone passes the budget, no waiting strategy can meet it here.
 */
export async function publisherLagFigures(size: PublisherLagSize, latencyRows: LatencyRow[]): Promise<Figure[]> {
  const measured: { ratePerSec: number; durationMs: number; lag: LatencyRow['publishLagUs']; cpuPercent?: number }[] = [];
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
    measured.push({ ...r, lag: row.server.publishLagUs ?? null, cpuPercent: row.server.cpuPercent ?? undefined });
  }
  const fromLatency = latencyRows.find((r) => r.run.model === 'tcp');
  if (fromLatency) measured.push({ ratePerSec: fromLatency.ratePerSec, durationMs: fromLatency.durationMs, lag: fromLatency.publishLagUs });
  const figures: Figure[] = [];
  for (const m of measured.sort((a, b) => a.ratePerSec - b.ratePerSec)) {
    const machine = await spinningFloor(m.ratePerSec, Math.max(1, Math.round((m.ratePerSec * m.durationMs) / 1000)));
    figures.push(
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
          spinningFloorP99Us: machine.p99Us,
          spinningFloorMaxUs: machine.maxUs,
          spinningFloorSamples: machine.count,
        },
        explain: {
          why:
            `a process that never sleeps was ${machine.p99Us} µs late at the p99 on this machine in the same minute` +
            (m.cpuPercent !== undefined ? `; the server took ${m.cpuPercent} % of a core` : ''),
          profile: `node bench/micro/publisherLag.mjs ${m.ratePerSec}`,
          docs: 'The on-time publisher (`src/server/publisher.ts`, `src/server/onTime.ts`)',
        },
      }),
    );
  }
  return figures;
}

/** How late a process that never sleeps sees `count` instants at this rate (floors/spinSchedule.js). */
async function spinningFloor(ratePerSec: number, count: number): Promise<FromSpinSchedule> {
  const child = floorChild<ToSpinSchedule, FromSpinSchedule>('spinSchedule', 'spinning publisher floor');
  try {
    const spinMs = (count / ratePerSec) * 1000;
    return await child.request({ type: 'run', ratePerSec, count }, 'lateness', CONTROL_TIMEOUT_MS + spinMs, 'spin through its schedule');
  } finally {
    await child.stop({ type: 'stop' });
  }
}
