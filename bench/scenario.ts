import type { Scenario } from '../dist/scenario/schema.js';
import { validateScenario } from '../dist/scenario/load.js';
import { expandMatrix } from '../dist/scenario/matrix.js';

/** A bench scenario, written as a user would write one, resolved by the project's own schema. */
export function benchScenario(raw: Record<string, unknown>): Scenario {
  const points = expandMatrix(validateScenario({ name: 'bench', ...raw }, 'bench scenario'));
  if (points.length !== 1) throw new Error('a bench scenario is one point, not a matrix');
  return points[0]!;
}

/** Heartbeats far apart: an idle connection in the bench carries nothing. */
export const QUIET_HEARTBEAT = { interval: '60s', timeout: '120s' } as const;

/**
 * The memory phase alone: `connections` idle clients of one model ramped up, a token measured
 * window, quiet heartbeats. `extra` adds the model's own settings (tls, an SSE client, a hold).
 */
export function idleMemoryScenario(
  model: string,
  size: { connections: number; rampUpMs: number },
  extra: Record<string, unknown> = {},
): Scenario {
  return benchScenario({
    models: [model],
    clients: size.connections,
    rampUp: `${size.rampUpMs}ms`,
    warmup: '0s',
    duration: '100ms',
    drainTimeout: '5s',
    workload: { pattern: 'idle' },
    heartbeat: QUIET_HEARTBEAT,
    ...extra,
  });
}
