import { runModel } from '../../dist/runner/runModel.js';
import { planRun } from '../../dist/runner/plan.js';
import { openFilesLimit } from '../../dist/metrics/limits.js';
import { nowUs } from '../../dist/metrics/clock.js';
import { encodeMessage, paddingOf } from '../../dist/models/message.js';
import type { ModelId } from '../../dist/models/types.js';
import type { ModelResult } from '../../dist/report/result.js';
import { benchScenario, QUIET_HEARTBEAT } from '../scenario.js';
import { figure, type Figure } from '../figure.js';
import { oneWayFloorUs } from './oneWayFloor.js';

export interface LatencySize {
  ratePerSec: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
  /** The physical floor's frames, sent at the runs' own spacing (1 / ratePerSec). */
  floorFrames: number;
  /**
   * A second rate measured the same way, with the busy-polling client only (figure ids
   * `latency.p50.<rate>.<model>`): at 100/s the server's publishing code runs once every 10 ms and
   * finds little of itself in the caches (server.publishHandoffUs), at 1000/s it is warm.
   */
  hot?: { ratePerSec: number; durationMs: number; floorFrames: number };
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
 * side, a receiver that never sleeps), so the ratio says how much of the latency is connbench and
 * the model rather than the machine. Like the floor's receiver, the client busy-polls
 * (client.busyPoll), and the floor's frames are as far apart as the run's messages: on a shared VM
 * both a sleeping receiver and a longer spacing cost tens to hundreds of microseconds of wake-up
 * that neither model nor connbench can remove (docs/benchmarks.md, The physical floor). The same
 * run with the default sleeping client is in the details. Each model's floor is measured just
 * before and just after its runs, as other load on the machine drifts, and the lower is the floor.
 * With `size.hot`, the same figures again at its rate, busy-polling only.
 */
export async function latencyFigures(
  size: LatencySize,
  runs: LatencyRun[] = LATENCY_RUNS,
): Promise<{ figures: Figure[]; rows: LatencyRow[] }> {
  const figures: Figure[] = [];
  const rows: LatencyRow[] = [];
  for (const run of runs) {
    const m = await measureRun(size, run, true);
    rows.push({ run, ratePerSec: size.ratePerSec, durationMs: size.durationMs, publishLagUs: m.sleeping.server.publishLagUs ?? null });
    figures.push(latencyFigure(size, run, '', m));
  }
  const hot = size.hot;
  if (hot) {
    const hotSize = { ...size, ...hot };
    for (const run of runs) figures.push(latencyFigure(hotSize, run, `${hot.ratePerSec}.`, await measureRun(hotSize, run, false)));
  }
  return { figures, rows };
}

type Floor = Awaited<ReturnType<typeof oneWayFloorUs>>;
interface Measured {
  polled: ModelResult;
  sleeping?: ModelResult;
  floor: Floor;
  floorBefore: Floor;
  floorAfter: Floor;
}

/** The floor, the model's runs (busy-polling, and with `withSleeping` the default client), the floor again. */
async function measureRun(size: LatencySize, run: LatencyRun, withSleeping: true): Promise<Measured & { sleeping: ModelResult }>;
async function measureRun(size: LatencySize, run: LatencyRun, withSleeping: false): Promise<Measured>;
async function measureRun(size: LatencySize, run: LatencyRun, withSleeping: boolean): Promise<Measured> {
  const floorSize = {
    frames: size.floorFrames,
    intervalUs: Math.round(1e6 / size.ratePerSec),
    frameBytes: messageBytes(size.payloadBytes) + 1,
  };
  const floorBefore = await oneWayFloorUs(floorSize);
  const polled = await latencyRun(size, run, true);
  const sleeping = withSleeping ? await latencyRun(size, run, false) : undefined;
  const floorAfter = await oneWayFloorUs(floorSize);
  // The lower of the two: a floor taken while other work had the cores measures that work, and would flatter the model.
  const floor = floorAfter.p50Us < floorBefore.p50Us ? floorAfter : floorBefore;
  return { polled, floor, floorBefore, floorAfter, ...(sleeping ? { sleeping } : {}) };
}

/** `idRate`: '' for the main rate, `<rate>.` for the hot one. */
function latencyFigure(size: LatencySize, run: LatencyRun, idRate: string, m: Measured): Figure {
  const { polled, sleeping, floor, floorBefore, floorAfter } = m;
  const name = `${run.model}${run.sseClient ? ` (${run.sseClient} client)` : ''}`;
  return figure({
    id: `latency.p50.${idRate}${run.model}${run.sseClient ? `.${run.sseClient}` : ''}`,
    title: `push latency p50, 1 busy-polling client${idRate ? ` at ${size.ratePerSec}/s` : ''}, ${name}`,
    unit: 'ms',
    // Not measured (null: too few samples) misses the goal.
    measured: polled.latencyMs.p50 ?? NaN,
    floor: floor.p50Us / 1000,
    floorName: `physical one-way floor: busy-polling sender → receiver, frames ${Math.round(1000 / size.ratePerSec)} ms apart`,
    goal: { op: '<=', ratio: GOAL },
    details: {
      status: polled.status,
      samples: polled.latencyMs.count,
      p99Ms: polled.latencyMs.p99 ?? 'n/a',
      lost: polled.messages.lost + (sleeping?.messages.lost ?? 0),
      ...(sleeping ? { sleepingClientP50Ms: sleeping.latencyMs.p50 ?? 'n/a', sleepingClientP99Ms: sleeping.latencyMs.p99 ?? 'n/a' } : {}),
      publishLagP50Us: polled.server.publishLagUs?.p50 ?? 'none',
      publishLagP99Us: polled.server.publishLagUs?.p99 ?? 'none',
      // From the instant until the server had handed the message to the socket: its whole part of the latency.
      publishHandoffP50Us: polled.server.publishHandoffUs?.p50 ?? 'none',
      publishHandoffP99Us: polled.server.publishHandoffUs?.p99 ?? 'none',
      serverCpuUsPerMessage: polled.server.cpuUsPerMessage ?? 'n/a',
      ...(sleeping ? { sleepingClientCpuUsPerMessage: sleeping.client.cpuUsPerMessage ?? 'n/a' } : {}),
      floorP99Us: floor.p99Us,
      floorSamples: floor.count,
      floorBeforeP50Us: floorBefore.p50Us,
      floorAfterP50Us: floorAfter.p50Us,
    },
    explain: {
      why: handoffWhy(polled.server.publishHandoffUs?.p50, polled.server.publishLagUs?.p50, floor.p50Us),
      profile: 'node bench/micro/coldPath.mjs',
      docs: 'Where the 1-client push latency goes (2026-12-05, 00:11-00:31 UTC)',
    },
  });
}

/** The server's part of a latency against the floor's whole trip; undefined when the server did not record it. */
export function handoffWhy(
  handoffP50Us: number | null | undefined,
  lagP50Us: number | null | undefined,
  floorP50Us: number,
): string | undefined {
  if (handoffP50Us === null || handoffP50Us === undefined || !(floorP50Us > 0)) return undefined;
  const times = Math.round((handoffP50Us / floorP50Us) * 10) / 10;
  const late = lagP50Us === null || lagP50Us === undefined ? '' : `, ${lagP50Us} µs of it the publisher's lateness`;
  return `the server's own path from each message's instant to its write took ${handoffP50Us} µs at the p50, ${times} × the floor's whole trip (${floorP50Us} µs)${late}`;
}

/** One client at the size's rate, busy-polling or with the default client that sleeps between messages. */
function latencyRun(size: LatencySize, run: LatencyRun, busyPoll: boolean) {
  const s = benchScenario({
    models: [run.model],
    clients: 1,
    rampUp: '0s',
    warmup: `${size.warmupMs}ms`,
    duration: `${size.durationMs}ms`,
    workload: { pattern: 'broadcast', rate: size.ratePerSec, payload: size.payloadBytes },
    heartbeat: QUIET_HEARTBEAT,
    client: { busyPoll },
    ...(run.sseClient ? { sse: { client: run.sseClient } } : {}),
  });
  return runModel(s, run.model, planRun(s, { openFilesLimit: openFilesLimit() }), []);
}

/** What the publisher-lateness figure reuses of a latency run. */
export interface LatencyRow {
  run: LatencyRun;
  ratePerSec: number;
  /** The measured window of the run the lateness comes from. */
  durationMs: number;
  publishLagUs: { p50: number | null; p99: number | null; max: number } | null;
}

/** The frame size of a message of this payload on the reference wire (body, seq and stamp). */
export function messageBytes(payloadBytes: number): number {
  return Buffer.byteLength(encodeMessage({ seq: 100_000, t: nowUs(), body: paddingOf(payloadBytes) }));
}
