import type { Scenario } from './schema.js';
import { SETTLE_MS } from '../runner/runModel.js';

/** Forking the server and workers, sampling, draining and stopping: measured at about 1.5 s a model. */
const OVERHEAD_PER_MODEL_MS = 1500;

/**
 * A rough wall time of a whole run (every matrix point × model), from its phases: for `validate`,
 * so a user learns a scenario takes ten minutes before starting it. Pure.
 */
export function estimateWallMs(points: Scenario[]): number {
  let ms = 0;
  for (const p of points) {
    // A short poll is answered at its next ask, so draining waits about one interval.
    const drainMs = p.models.includes('short-poll') ? p.shortPoll.intervalMs : 0;
    ms += p.models.length * (p.rampUpMs + SETTLE_MS + p.warmupMs + p.durationMs + OVERHEAD_PER_MODEL_MS) + drainMs;
  }
  return Math.round(ms / 1000) * 1000;
}
