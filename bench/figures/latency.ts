import { runModel } from '../../dist/runner/runModel.js';
import { planRun } from '../../dist/runner/plan.js';
import { openFilesLimit } from '../../dist/metrics/limits.js';
import { nowUs } from '../../dist/metrics/clock.js';
import { encodeMessage, paddingOf } from '../../dist/models/message.js';
import type { ModelId } from '../../dist/models/types.js';
import { benchScenario, QUIET_HEARTBEAT } from '../scenario.js';
import { figure, type Figure } from '../figure.js';
import { NetFloor } from './netFloor.js';

export interface LatencySize {
  ratePerSec: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
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

const GOAL = 1.5;

/**
 * Push latency p50 with one client: the runner's broadcast at a fixed rate, latency from each
 * message's scheduled time. The floor is a bare `net` sender on the same fixed-schedule loop and a
 * bare `net` receiver, frames of the same size, so timer lateness weighs the same on both sides.
 * Each model's floor is measured just before it.
 */
export async function latencyFigures(size: LatencySize, runs: LatencyRun[] = LATENCY_RUNS): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const run of runs) {
    // The floor right before each model: other load on the machine drifts, so the two are measured side by side.
    const floorP50Ms = await netFloorLatencyMs(size);
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
    figures.push(
      figure({
        id: `latency.p50.${run.model}${run.sseClient ? `.${run.sseClient}` : ''}`,
        title: `push latency p50, 1 client, ${run.model}${run.sseClient ? ` (${run.sseClient} client)` : ''}`,
        unit: 'ms',
        measured: row.latencyMs.p50,
        floor: floorP50Ms.p50Ms,
        floorName: 'bare net sender → receiver',
        goal: { op: '<=', ratio: GOAL },
        details: {
          status: row.status,
          samples: row.latencyMs.count,
          p99Ms: row.latencyMs.p99,
          lost: row.messages.lost,
          floorSamples: floorP50Ms.count,
        },
      }),
    );
  }
  return figures;
}

/** The frame size of a message of this payload on the reference wire (body, seq and stamp). */
export function messageBytes(payloadBytes: number): number {
  return Buffer.byteLength(encodeMessage({ seq: 100_000, t: nowUs(), body: paddingOf(payloadBytes) }));
}

async function netFloorLatencyMs(size: LatencySize): Promise<{ p50Ms: number; count: number }> {
  const floor = new NetFloor();
  try {
    await floor.listen();
    await floor.connect(1);
    const count = Math.round((size.ratePerSec * (size.warmupMs + size.durationMs)) / 1000);
    // As the runner does: the first message is due a moment ahead, not already late.
    const t0Us = nowUs() + 20_000;
    const frameBytes = messageBytes(size.payloadBytes) + 1;
    await floor.server.request(
      { type: 'schedule', ratePerSec: size.ratePerSec, count, t0Us, frameBytes },
      'schedule-done',
      size.warmupMs + size.durationMs + 30_000,
      'send its schedule',
    );
    // The last frame may still be on its way: wait until the receiver has them all (bounded).
    await floor.client.request({ type: 'expect-frames', frames: count, timeoutMs: 5000 }, 'frames-received', 10_000, 'receive the frames');
    const r = await floor.client.request({ type: 'latency', fromUs: t0Us + size.warmupMs * 1000 }, 'latency', 10_000, 'report latency');
    return { p50Ms: r.p50Us / 1000, count: r.count };
  } finally {
    await floor.stop();
  }
}
