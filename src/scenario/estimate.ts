import type { Scenario } from './schema.js';
import { getModel } from '../models/index.js';
import { optionsOf } from './modelOptions.js';
import { SETTLE_MS } from './phases.js';
import { modelRuns } from './matrix.js';

/**
 * Forking the server and workers, sampling, draining and stopping: a rough allowance, not a
 * measurement; the real overhead grows with the clients (docs/benchmarks.md, Run overhead per model).
 */
const OVERHEAD_PER_MODEL_MS = 1500;

/**
 * A rough wall time of a whole run (every model run of the matrix, src/scenario/matrix.ts
 * modelRuns), from its phases: for `validate`, so a user learns a scenario takes ten minutes
 * before starting it. Pure.
 */
export function estimateWallMs(points: Scenario[]): number {
  let ms = 0;
  for (const { point: p, model: id } of modelRuns(points)) {
    // A model may need its clients to ask again before they have everything (a short poll's interval).
    const drainMs = getModel(id).drainAllowanceMs(optionsOf(getModel(id), p));
    ms += p.rampUpMs + SETTLE_MS + p.warmupMs + p.durationMs + OVERHEAD_PER_MODEL_MS + drainMs;
  }
  return Math.round(ms / 1000) * 1000;
}
