import type { Scenario } from './schema.js';
import { getModel } from '../models/index.js';
import { optionsOf } from './modelOptions.js';
import { SETTLE_MS } from './phases.js';

/**
 * Forking the server and workers, sampling, draining and stopping: a rough allowance, not a
 * measurement. It grows with the clients: wall time of `node bin/connbench.js run` (5 models,
 * rampUp 200ms, warmup 500ms, duration 1s, 10/s broadcast, 2 cores) less the phases here came to
 * about 0.7 s a model at 20 clients, 1.2 s at 1000 and 2.2 s at 5000.
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
