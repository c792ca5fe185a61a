import type { ResultHeader } from '../report/result.js';
import { currentEnv } from '../report/env.js';
import type { Scenario } from '../scenario/schema.js';
import { TOOL_VERSION } from '../util/version.js';

/** The header of a result about to be written (a run's, or a shard's partial one): begun now, not finished, on this machine. */
export function startedHeader(points: readonly Scenario[]): ResultHeader {
  const { matrix: _m, ...scenario } = points[0]!;
  return {
    tool: { name: 'connbench', version: TOOL_VERSION },
    startedAt: new Date().toISOString(),
    finishedAt: null,
    complete: false,
    env: currentEnv(),
    scenario,
  };
}
