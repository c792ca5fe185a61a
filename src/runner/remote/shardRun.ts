import type { Scenario } from '../../scenario/schema.js';
import { modelRuns } from '../../scenario/matrix.js';
import type { ModelId } from '../../models/types.js';
import { SCHEMA_VERSION, type ModelResult, type RunResult } from '../../report/result.js';
import { combineRepeats } from '../../report/repeats.js';
import { startedHeader } from '../resultHeader.js';
import { HISTOGRAM_LAYOUT, initHistograms } from '../../metrics/histogram.js';
import { clientsOfShard } from '../../topology/topology.js';
import { planRun, type Limits, type RunPlan } from '../plan.js';
import { emit, type RunListener } from '../events.js';
import { repeatLabelled, runOnce } from '../run.js';
import type { RemoteRun } from '../runModel.js';
import { ControlClient } from './controlClient.js';
import { BEGIN_DEADLINE_MS, RemoteServers } from './remoteServers.js';
import { fingerprintOf, type ShardResult, type ShardRun } from './shardResult.js';

/** How long a shard tries to upload its result to the server before it gives up (the file is written either way). */
const UPLOAD_DEADLINE_MS = 60_000;

export interface ShardOptions {
  /** The control API of `connbench serve --control`, e.g. http://10.0.0.5:8080. */
  target: string;
  token: string;
  shard: { index: number; count: number };
  listeners?: RunListener[];
  signal?: AbortSignal;
  limits: Limits;
  repeat?: number;
  /** Called with the shard's result after each model, so nothing finished is lost on interruption. */
  checkpoint?: (r: ShardResult) => void;
}

/**
 * One shard of a run against a server on another host: every point, model and repeat as
 * runScenario runs them, with this shard's clients (c mod count = index) and the server's
 * control API instead of forked server processes. Returns the shard's partial result, for
 * `connbench merge`, and its own rows, for the table it prints (this shard's clients only).
 */
export async function runShard(points: Scenario[], o: ShardOptions): Promise<{ result: ShardResult; rows: RunResult }> {
  await initHistograms();
  const listeners = o.listeners ?? [];
  const { index, count } = o.shard;
  // Refuse before anything starts when this shard's clients cannot fit on this host.
  const plans = points.map((p) => planRun(p, o.limits, { kind: 'shard', index, count }));
  const repeat = Math.max(1, o.repeat ?? 1);
  const result = shardResultOf(points, o, repeat);
  const rows = rowsOf(result);
  const client = new ControlClient(o.target, o.token);
  // A wrong token or target fails the whole shard at once (exit 3), not each model in turn.
  await client
    .call({ type: 'status' }, 'status', { deadlineMs: Date.now() + BEGIN_DEADLINE_MS, ...(o.signal ? { signal: o.signal } : {}) })
    .catch(async (err: unknown) => {
      await client.close();
      throw err;
    });
  emit(listeners, 'runStarted', { points: points.length, models: points[0]!.models });
  o.checkpoint?.(result);
  try {
    // As runScenario: a model runs once per distinct value of what it reads.
    for (const { index: i, point, model } of modelRuns(points)) {
      if (o.signal?.aborted) break;
      const interrupted = await runModelShard(client, o, { point, i, model, plan: plans[i]!, repeat, result, rows, listeners });
      await upload(client, result, listeners);
      if (interrupted) break;
    }
  } finally {
    await client.close();
  }
  result.finishedAt = rows.finishedAt = new Date().toISOString();
  result.complete = rows.complete = !o.signal?.aborted;
  o.checkpoint?.(result);
  await upload(new ControlClient(o.target, o.token), result, listeners, true);
  return { result, rows };
}

interface ModelRunArgs {
  point: Scenario;
  i: number;
  model: ModelId;
  plan: RunPlan;
  repeat: number;
  result: ShardResult;
  rows: RunResult;
  listeners: RunListener[];
}

/** Every repeat of one model at one point; returns whether the run was interrupted. */
async function runModelShard(client: ControlClient, o: ShardOptions, a: ModelRunArgs): Promise<boolean> {
  const entry = { model: a.model, point: a.i, matrix: a.point.matrix, clients: a.point.clients, runs: [] as ShardRun[] };
  a.result.models.push(entry);
  const slot = a.rows.models.length;
  const rows: ModelResult[] = [];
  const clients = clientsOfShard(a.point.clients, o.shard.index, o.shard.count);
  for (let k = 1; k <= a.repeat; k++) {
    if (o.signal?.aborted && rows.length > 0) break;
    const key = { fingerprint: a.result.shard.fingerprint, point: a.i, model: a.model, repeat: k };
    let measured: Extract<ShardRun, { status: 'measured' }> | undefined;
    const remote: RemoteRun = {
      shard: o.shard.index,
      open: (s, modelId, signal) => RemoteServers.begin(client, { ...key, model: modelId }, o.shard, s, clients, signal),
      measured: (m) => void (measured = { status: 'measured', ...m }),
    };
    const labelled = repeatLabelled(a.listeners, k, a.repeat);
    const { row, interrupted, failure } = await runOnce(a.point, a.model, a.plan, labelled, o.signal, { remote });
    if (failure !== undefined) emit(a.listeners, 'warning', `${a.model}${a.repeat > 1 ? ` (repeat ${k}/${a.repeat})` : ''}: ${failure}`);
    entry.runs.push(
      measured ?? {
        status: 'failed',
        interrupted,
        error: row.error ?? { code: 'CB_ERR_RUN', message: failure ?? 'failed' },
        ...(row.processes ? { processes: row.processes } : {}),
      },
    );
    if (!(interrupted && rows.length > 0)) rows.push(row);
    a.rows.models[slot] = { ...combineRepeats(rows), ...(rows.length < a.repeat ? { complete: false } : {}) };
    o.checkpoint?.(a.result);
    if (interrupted) return true;
  }
  emit(a.listeners, 'modelFinished', a.rows.models[slot]!);
  return false;
}

function shardResultOf(points: Scenario[], o: ShardOptions, repeat: number): ShardResult {
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'shard',
    ...startedHeader(points),
    shard: {
      ...o.shard,
      fingerprint: fingerprintOf(points, o.shard.count, repeat),
      target: o.target,
      clients: points.map((p) => clientsOfShard(p.clients, o.shard.index, o.shard.count)),
    },
    histogram: HISTOGRAM_LAYOUT,
    ...(repeat > 1 ? { repeat } : {}),
    models: [],
  };
}

/** This shard's own rows, as a run result for the table it prints. */
function rowsOf(r: ShardResult): RunResult {
  return {
    schemaVersion: SCHEMA_VERSION,
    kind: 'run',
    tool: r.tool,
    startedAt: r.startedAt,
    finishedAt: null,
    complete: false,
    env: r.env,
    scenario: r.scenario,
    models: [],
    ...(r.repeat ? { repeat: r.repeat } : {}),
  };
}

/** Keeps the result on the server too, where `merge --from` finds it; a failure is a warning (the file is written anyway). */
async function upload(client: ControlClient, r: ShardResult, listeners: RunListener[], last = false): Promise<void> {
  try {
    await client.postResult(r, Date.now() + UPLOAD_DEADLINE_MS);
  } catch (err) {
    emit(listeners, 'warning', `the result could not be kept on the server: ${(err as Error).message}`);
  } finally {
    if (last) await client.close();
  }
}
