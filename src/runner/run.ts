import os from 'node:os';
import type { Scenario } from '../scenario/schema.js';
import { SCHEMA_VERSION, type ModelResult, type RunResult } from '../report/result.js';
import { unfinishedModelResult } from '../report/partial.js';
import { planRun, type Limits } from './plan.js';
import { runModel } from './runModel.js';
import { emit, type RunListener } from './events.js';
import { ConnbenchError } from '../util/errors.js';
import { TOOL_VERSION } from '../util/version.js';
import { initHistograms } from '../metrics/histogram.js';

export interface RunOptions {
  listeners?: RunListener[];
  signal?: AbortSignal;
  limits: Limits;
  /** Called with the whole result after each model, so nothing finished is lost on interruption. */
  checkpoint?: (r: RunResult) => void;
}

/**
 * Runs every point of a scenario's matrix and every model in it, in turn. A model that fails is
 * recorded as failed and the run goes on; an interruption stops at once with what is done.
 */
export async function runScenario(points: Scenario[], opts: RunOptions): Promise<RunResult> {
  await initHistograms();
  const listeners = opts.listeners ?? [];
  // Refuse before anything starts when a point cannot fit on this machine.
  const plans = points.map((p) => planRun(p, opts.limits));
  const first = points[0]!;
  const { matrix: _m, ...scenario } = first;
  const result: RunResult = {
    schemaVersion: SCHEMA_VERSION,
    kind: 'run',
    tool: { name: 'connbench', version: TOOL_VERSION },
    startedAt: new Date().toISOString(),
    finishedAt: null,
    complete: false,
    env: { node: process.version, platform: process.platform, arch: process.arch, cpus: os.cpus().length, memoryBytes: os.totalmem() },
    scenario,
    models: [],
  };
  emit(listeners, 'runStarted', { points: points.length, models: first.models });
  opts.checkpoint?.(result);

  for (const [i, point] of points.entries()) {
    for (const model of point.models) {
      if (opts.signal?.aborted) break;
      let row: ModelResult;
      try {
        row = await runModel(point, model, plans[i]!, listeners, opts.signal);
      } catch (err) {
        const e = err instanceof ConnbenchError ? err : new ConnbenchError('CB_ERR_RUN', String((err as Error)?.message ?? err));
        const interrupted = opts.signal?.aborted === true;
        row = unfinishedModelResult(model, point.matrix, point.clients, interrupted ? { code: 'CB_ERR_INTERRUPTED', message: 'interrupted before this model finished' } : { code: e.code, message: e.message }, !interrupted);
        if (!interrupted) emit(listeners, 'warning', `${model}: ${e.message}`);
      }
      result.models.push(row);
      emit(listeners, 'modelFinished', row);
      opts.checkpoint?.(result);
    }
  }
  result.finishedAt = new Date().toISOString();
  result.complete = !opts.signal?.aborted;
  opts.checkpoint?.(result);
  return result;
}
