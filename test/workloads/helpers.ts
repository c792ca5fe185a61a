import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { runScenario } from '../../src/runner/run.js';
import type { ModelResult, RunResult } from '../../src/report/result.js';

/** Small and quick, through the real runner, server and worker processes (built in dist/). */
export const SMALL: ScenarioInput = {
  rampUp: '200ms',
  warmup: '500ms',
  duration: '1s',
  drainTimeout: '5s',
  shortPoll: { interval: '100ms' },
};

export function runSmall(input: ScenarioInput): Promise<RunResult> {
  return runScenario(expandMatrix(validateScenario({ ...SMALL, ...input })), { limits: { openFilesLimit: 20_000 } });
}

export type Row = ModelResult;

export const describeRow = (r: Row) =>
  `${r.model} ${JSON.stringify(r.matrix)}: ${r.status} ${r.statusReason ?? ''} ${JSON.stringify(r.messages)} errors ${JSON.stringify(r.errors)}`;
