import { runModel } from '../../dist/runner/runModel.js';
import { planRun } from '../../dist/runner/plan.js';
import { openFilesLimit } from '../../dist/metrics/limits.js';
import { nowUs } from '../../dist/metrics/clock.js';
import { encodeMessage, paddingOf } from '../../dist/models/message.js';
import type { ModelId } from '../../dist/models/types.js';
import { benchScenario, QUIET_HEARTBEAT } from '../scenario.js';
import { figure, type Figure } from '../figure.js';
import { oneWayFloorUs } from './oneWayFloor.js';

export interface LatencySize {
  ratePerSec: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
  /** The physical floor's frames and their spacing. */
  floorFrames: number;
  floorIntervalUs: number;
}

export interface LatencyRun {
  model: ModelId;
  sseClient?: 'reference' | 'lean';
}

export const LATENCY_RUNS: LatencyRun[] = [
  { model: 'tcp' },
  { model: 'websocket' },
  { model: 'sse', sseClient: 'reference' },
  { model: 'sse', sseClient: 'lean' },
];

/** The issue 15 goal: p50 within 3× what the machine itself takes to carry a frame between processes. */
const GOAL = 3;

/**
 * Push latency p50 with one client: the runner's broadcast at a fixed rate, latency from each
 * message's scheduled time, against the physical one-way floor (oneWayFloor.ts: no timer on either
 * side), so the ratio says how much of the latency is connbench and the model rather than the
 * machine. Each model's floor is measured just before it; the row's publisher lateness and the
 * client's CPU per message are in the details, they explain a miss.
 */
export async function latencyFigures(
  size: LatencySize,
  runs: LatencyRun[] = LATENCY_RUNS,
): Promise<{ figures: Figure[]; rows: LatencyRow[] }> {
  const figures: Figure[] = [];
  const rows: LatencyRow[] = [];
  for (const run of runs) {
    // The floor right before each model: other load on the machine drifts, so the two are measured side by side.
    const floor = await oneWayFloorUs({
      frames: size.floorFrames,
      intervalUs: size.floorIntervalUs,
      frameBytes: messageBytes(size.payloadBytes) + 1,
    });
    const s = benchScenario({
      models: [run.model],
      clients: 1,
      rampUp: '0s',
      warmup: `${size.warmupMs}ms`,
      duration: `${size.durationMs}ms`,
      workload: { pattern: 'broadcast', rate: size.ratePerSec, payload: size.payloadBytes },
      heartbeat: QUIET_HEARTBEAT,
      ...(run.sseClient ? { sse: { client: run.sseClient } } : {}),
    });
    const row = await runModel(s, run.model, planRun(s, { openFilesLimit: openFilesLimit() }), []);
    rows.push({ run, ratePerSec: size.ratePerSec, publishLagUs: row.server.publishLagUs ?? null });
    figures.push(
      figure({
        id: `latency.p50.${run.model}${run.sseClient ? `.${run.sseClient}` : ''}`,
        title: `push latency p50, 1 client, ${run.model}${run.sseClient ? ` (${run.sseClient} client)` : ''}`,
        unit: 'ms',
        // Not measured (null: too few samples) misses the goal.
        measured: row.latencyMs.p50 ?? NaN,
        floor: floor.p50Us / 1000,
        floorName: 'physical one-way floor: busy-polling sender → receiver',
        goal: { op: '<=', ratio: GOAL },
        details: {
          status: row.status,
          samples: row.latencyMs.count,
          p99Ms: row.latencyMs.p99 ?? 'n/a',
          lost: row.messages.lost,
          publishLagP50Us: row.server.publishLagUs?.p50 ?? 'none',
          publishLagP99Us: row.server.publishLagUs?.p99 ?? 'none',
          serverCpuUsPerMessage: row.server.cpuUsPerMessage ?? 'n/a',
          clientCpuUsPerMessage: row.client.cpuUsPerMessage ?? 'n/a',
          floorP99Us: floor.p99Us,
          floorSamples: floor.count,
        },
      }),
    );
  }
  return { figures, rows };
}

/** What the publisher-lateness figure reuses of a latency run. */
export interface LatencyRow {
  run: LatencyRun;
  ratePerSec: number;
  publishLagUs: { p50: number | null; p99: number | null; max: number } | null;
}

/** The frame size of a message of this payload on the reference wire (body, seq and stamp). */
export function messageBytes(payloadBytes: number): number {
  return Buffer.byteLength(encodeMessage({ seq: 100_000, t: nowUs(), body: paddingOf(payloadBytes) }));
}
