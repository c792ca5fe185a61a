import type { Scenario } from '../scenario/schema.js';
import type { ModelId } from '../models/types.js';
import { SCHEMA_VERSION, type ModelResult, type RunResult } from '../report/result.js';
import { unfinishedModelResult } from '../report/partial.js';
import { planRun, type Limits, type RunPlan } from './plan.js';
import { processesOfFailedRun, runModel, type ModelRunAt } from './runModel.js';
import { emit, type ProgressInfo, type RunListener } from './events.js';
import { ConnbenchError } from '../util/errors.js';
import { startedHeader } from './resultHeader.js';
import { initHistograms } from '../metrics/histogram.js';
import { combineRepeats } from '../report/repeats.js';
import { modelRuns } from '../scenario/matrix.js';
import { prepareNetwork, type RunNetwork } from './network.js';

export interface RunOptions {
  listeners?: RunListener[];
  signal?: AbortSignal;
  limits: Limits;
  /** Called with the whole result after each model, so nothing finished is lost on interruption. */
  checkpoint?: (r: RunResult) => void;
  /** Runs of each model, one after another; the row holds their combination (see `repeats` in result.ts). Default 1. */
  repeat?: number;
}

/** Listeners that see "websocket 2/3" as the model while repeat 2 of 3 runs. */
export function repeatLabelled(listeners: RunListener[], k: number, n: number): RunListener[] {
  if (n <= 1) return listeners;
  const tag = (info: ProgressInfo): ProgressInfo => ({ ...info, model: `${info.model} ${k}/${n}` });
  return [
    {
      phase: (info) => emit(listeners, 'phase', tag(info)),
      progress: (info) => emit(listeners, 'progress', tag(info)),
      modelStarted: (row) => emit(listeners, 'modelStarted', row),
      warning: (m) => emit(listeners, 'warning', m),
    },
  ];
}

/**
 * Runs every point of a scenario's matrix and every model in it, in turn. A model that fails is
 * recorded as failed and the run goes on; an interruption stops at once with what is done.
 */
export async function runScenario(points: Scenario[], opts: RunOptions): Promise<RunResult> {
  await initHistograms();
  const listeners = opts.listeners ?? [];
  // Refuse before anything starts when a point cannot fit on this machine, or lacks a binary or a certificate.
  const plans = points.map((p) => planRun(p, opts.limits));
  const network = await prepareNetwork(points);
  const first = points[0]!;
  const result: RunResult = { schemaVersion: SCHEMA_VERSION, kind: 'run', ...startedHeader(points), models: [] };
  emit(listeners, 'runStarted', { points: points.length, models: first.models });
  opts.checkpoint?.(result);

  const repeat = Math.max(1, opts.repeat ?? 1);
  if (repeat > 1) result.repeat = repeat;
  // A model runs once per distinct value of what it reads: other models' axes leave its runs alone.
  for (const { index: i, point: at, model } of modelRuns(points)) {
    if (opts.signal?.aborted) break;
    const runs: ModelResult[] = [];
    const slot = result.models.length;
    for (let k = 1; k <= repeat; k++) {
      if (opts.signal?.aborted && runs.length > 0) break;
      const { row, interrupted, failure } = await runOnce(at, model, plans[i]!, repeatLabelled(listeners, k, repeat), opts.signal, {
        network,
      });
      if (failure !== undefined) emit(listeners, 'warning', `${model}${repeat > 1 ? ` (repeat ${k}/${repeat})` : ''}: ${failure}`);
      // An interrupted repeat adds nothing to the ones that finished; it only makes the row incomplete.
      if (!(interrupted && runs.length > 0)) runs.push(row);
      const combined = { ...combineRepeats(runs) };
      if (runs.length < repeat) combined.complete = false;
      result.models[slot] = combined;
      opts.checkpoint?.(result);
      if (interrupted) break;
    }
    emit(listeners, 'modelFinished', result.models[slot]!);
  }
  result.finishedAt = new Date().toISOString();
  result.complete = !opts.signal?.aborted;
  opts.checkpoint?.(result);
  return result;
}

/**
 * One run of a model. A failure becomes its row (failed, with each process's figures as last seen)
 * and, unless the run was interrupted, `failure` says why. `remote`: against a server elsewhere.
 */
export async function runOnce(
  point: Scenario,
  model: ModelId,
  plan: RunPlan,
  listeners: RunListener[],
  signal: AbortSignal | undefined,
  at: ModelRunAt = {},
): Promise<{ row: ModelResult; interrupted: boolean; failure?: string }> {
  try {
    return { row: await runModel(point, model, plan, listeners, signal, at), interrupted: false };
  } catch (err) {
    const e = err instanceof ConnbenchError ? err : new ConnbenchError('CB_ERR_RUN', String((err as Error)?.message ?? err));
    const interrupted = signal?.aborted === true;
    const row = unfinishedModelResult(
      model,
      point.matrix,
      point.clients,
      interrupted
        ? { code: 'CB_ERR_INTERRUPTED', message: 'interrupted before this model finished' }
        : { code: e.code, message: e.message },
      !interrupted,
    );
    // Where the limit was: each process's peak memory and connections as last seen.
    const processes = processesOfFailedRun(err);
    if (processes) row.processes = processes;
    return { row, interrupted, ...(interrupted ? {} : { failure: e.message }) };
  }
}
