import type { Scenario } from './schema.js';
import { getModel } from '../models/index.js';
import { optionsOf } from './modelOptions.js';
import { SETTLE_MS } from './phases.js';

/**
 * Forking the server and workers, sampling, draining and stopping: a rough allowance, not a
 * measurement; the real overhead grows with the clients (docs/benchmarks.md, Run overhead per model).
 */
const OVERHEAD_PER_MODEL_MS = 1500;

/**
 * A rough wall time of a whole run (every matrix point × model), from its phases: for `validate`,
 * so a user learns a scenario takes ten minutes before starting it. Pure.
 */
export function estimateWallMs(points: Scenario[]): number {
  let ms = 0;
  for (const p of points) {
    // A model may need its clients to ask again before they have everything (a short poll's interval).
    const drainMs = Math.max(0, ...p.models.map((id) => getModel(id).drainAllowanceMs(optionsOf(getModel(id), p))));
    ms += p.models.length * (p.rampUpMs + SETTLE_MS + p.warmupMs + p.durationMs + OVERHEAD_PER_MODEL_MS) + drainMs;
  }
  return Math.round(ms / 1000) * 1000;
}
