import type { Scenario } from '../scenario/schema.js';
import type { ModelId, ServerSettings } from '../models/types.js';
import type { FromServer, FromWorker, ResourceSample, ToServer, ToWorker, WorkerProgress, WorkerResult } from './ipc.js';
import type { ModelResult } from '../report/result.js';
import { Child } from './child.js';
import type { RunPlan } from './plan.js';
import { emit, type Phase, type RunListener } from './events.js';
import { summarizeModelRun, type RawModelRun } from '../metrics/summary.js';
import { readKernelTcpBytes } from '../metrics/sockstat.js';
import { nowUs } from '../metrics/clock.js';
import { runError } from '../util/errors.js';
import { mergeSentByInbox } from '../client/chat.js';
import { summarizeStorm } from '../client/recovery.js';
import { sleep } from '../util/sleep.js';

type ServerChild = Child<ToServer, FromServer>;
type WorkerChild = Child<ToWorker, FromWorker>;

/** Time for all clients to settle after the ramp, before memory is sampled. */
export const SETTLE_MS = 1000;
const CONTROL_TIMEOUT_MS = 30_000;

export function serverSettingsOf(s: Scenario): ServerSettings {
  return { heartbeat: s.heartbeat, maxHoldMs: Math.max(s.longPoll.holdMs, 1000), sseRetryMs: s.sse.retryMs };
}


/**
 * One model against a fresh reference server: start, ramp clients up, settle and sample memory,
 * warm up, measure, stop publishing, drain until every client has caught up, collect, shut down.
 * Every child is stopped on the way out, whatever happened.
 */
export async function runModel(s: Scenario, modelId: ModelId, plan: RunPlan, listeners: RunListener[], signal?: AbortSignal): Promise<ModelResult> {
  let server: ServerChild | undefined;
  const workers: WorkerChild[] = [];
  const progress = new Map<number, WorkerProgress>();
  let phase: Phase = 'starting';
  let phaseEndsAtMs: number | undefined;
  const info = () => {
    let connected = 0;
    let delivered = 0;
    let reconnects = 0;
    for (const p of progress.values()) {
      connected += p.connected;
      delivered += p.delivered;
      reconnects += p.reconnects;
    }
    return { model: modelId, phase, connected, target: s.clients, delivered, reconnects, ...(phaseEndsAtMs ? { phaseEndsAtMs } : {}) };
  };
  const enter = (p: Phase, durationMs?: number) => {
    phase = p;
    phaseEndsAtMs = durationMs === undefined ? undefined : Date.now() + durationMs;
    emit(listeners, 'phase', info());
  };
  const checkAbort = () => {
    if (signal?.aborted) throw runError('CB_ERR_INTERRUPTED', 'the run was interrupted');
  };

  try {
    enter('starting');
    server = new Child<ToServer, FromServer>('server/main.js', `server process for ${modelId}`, signal);
    const listening = await server.request(
      { type: 'start', models: [modelId], host: '127.0.0.1', httpPort: 0, tcpPort: 0, retention: s.server.retention, settings: serverSettingsOf(s) },
      'listening',
      CONTROL_TIMEOUT_MS,
      'start listening',
    );
    const sampleServer = async (gc: boolean) => server!.request({ type: 'sample', gc }, 'sample', CONTROL_TIMEOUT_MS, 'report a sample');
    const sampleWorkers = (gc: boolean) =>
      Promise.all(workers.map((w) => w.request({ type: 'sample', gc }, 'sample', CONTROL_TIMEOUT_MS, 'report a sample').then((m) => m.sample)));

    const serverBase = await sampleServer(true);
    const kernelBaseBytes = readKernelTcpBytes();

    // Fork every worker before any connects, so the memory baseline of each is clean.
    for (const slice of plan.slices) {
      const w = new Child<ToWorker, FromWorker>('client/worker.js', `client worker ${slice.workerIndex} for ${modelId}`, signal);
      w.onMessage((m) => {
        if (m.type === 'progress' || m.type === 'ramped') {
          progress.set(slice.workerIndex, m.progress);
          emit(listeners, 'progress', info());
        }
      });
      workers.push(w);
    }
    const clientBase = await sampleWorkers(true);
    checkAbort();

    enter('connecting', s.rampUpMs);
    const rampTimeoutMs = s.rampUpMs + 60_000 + s.clients * 5;
    await Promise.all(
      workers.map((w, i) => {
        const slice = plan.slices[i]!;
        return w.request(
          { type: 'start', workerIndex: i, model: modelId, firstClientId: slice.firstClientId, count: slice.count, host: '127.0.0.1', httpPort: listening.httpPort, tcpPort: listening.tcpPort, sourceAddresses: plan.sourceAddresses, rampUpMs: s.rampUpMs, scenario: s },
          'ramped',
          rampTimeoutMs,
          'connect its clients',
        );
      }),
    );
    checkAbort();

    enter('settling', SETTLE_MS);
    await sleep(SETTLE_MS, signal);
    const serverConnected = await sampleServer(true);
    const kernelConnectedBytes = readKernelTcpBytes();
    const clientConnected = await sampleWorkers(true);
    checkAbort();

    // Publishing starts a moment ahead so the first scheduled message is not already late.
    const t0Us = nowUs() + 20_000;
    const measureFromUs = t0Us + s.warmupMs * 1000;
    const publishUntilUs = measureFromUs + s.durationMs * 1000;
    if (s.workload.pattern === 'broadcast') server.send({ type: 'publish', ratePerSec: s.workload.ratePerSec, payloadBytes: s.workload.payloadBytes, t0Us });
    for (const w of workers) w.send({ type: 'measure', measureFromUs, chatT0Us: t0Us, chatUntilUs: publishUntilUs });

    enter('warmup', s.warmupMs);
    await sleep(Math.max(0, (measureFromUs - nowUs()) / 1000), signal);
    checkAbort();
    const [measureStart, clientMeasureStart] = await Promise.all([sampleServer(false), sampleWorkers(false)]);

    enter('measuring', s.durationMs);
    await sleep(Math.max(0, (publishUntilUs - nowUs()) / 1000), signal);
    checkAbort();
    const published = await server.request(
      { type: 'stop-publish', burst: s.workload.pattern === 'idle' ? s.workload.burst : 0, payloadBytes: s.workload.payloadBytes, untilUs: publishUntilUs },
      'published',
      CONTROL_TIMEOUT_MS,
      'stop publishing',
    );
    const [measureEnd, clientMeasureEnd] = await Promise.all([sampleServer(false), sampleWorkers(false)]);

    enter('draining', s.drainTimeoutMs);
    const drainStartMs = Date.now();
    const cursors = await Promise.all(workers.map((w) => w.request({ type: 'cursors' }, 'cursors', CONTROL_TIMEOUT_MS, 'report cursors')));
    // Chat: each recipient is owed what the senders sent to its address, whether or not it reached the server.
    const owedByInbox = s.workload.pattern === 'chat' ? mergeSentByInbox(cursors.map((c) => c.sentByInbox)) : undefined;
    const results: WorkerResult[] = await Promise.all(
      workers.map(async (w, i) => {
        const { counts } = await server!.request({ type: 'expected', queries: cursors[i]!.queries, upToSeq: published.lastSeq }, 'expected', CONTROL_TIMEOUT_MS, 'count expected messages');
        const drained = await w.request(
          { type: 'drain', expected: counts, ...(owedByInbox ? { owedByInbox } : {}), timeoutMs: s.drainTimeoutMs },
          'drained',
          s.drainTimeoutMs + CONTROL_TIMEOUT_MS,
          'drain',
        );
        return drained.result;
      }),
    );
    const drainMs = Date.now() - drainStartMs;
    // Chat sends still on the wire when publishing stopped reach the log during the drain: ask for the head again.
    const publishedCount =
      s.workload.pattern === 'chat'
        ? (await server.request({ type: 'stop-publish', burst: 0, payloadBytes: 0 }, 'published', CONTROL_TIMEOUT_MS, 'report the log head')).lastSeq
        : published.lastSeq;
    const final = await sampleServer(false);

    enter('stopping');
    const raw: RawModelRun = {
      model: modelId,
      matrix: s.matrix,
      durationMs: s.durationMs,
      rampUpMs: s.rampUpMs,
      drainMs,
      published: publishedCount,
      workers: results,
      server: {
        base: serverBase.sample,
        connected: serverConnected.sample,
        measureStart: measureStart.sample,
        measureEnd: measureEnd.sample,
        wireStart: measureStart.wireBytes,
        wireEnd: measureEnd.wireBytes,
        heartbeatBytesStart: measureStart.counters.heartbeatBytes ?? 0,
        heartbeatBytesEnd: measureEnd.counters.heartbeatBytes ?? 0,
        peakRssBytes: final.peakRssBytes,
        kernelBaseBytes,
        kernelConnectedBytes,
      },
      client: { base: clientBase, connected: clientConnected, measureStart: clientMeasureStart, measureEnd: clientMeasureEnd },
    };
    const row = summarizeModelRun(raw);
    const recovery = summarizeStorm(results.flatMap((r) => (r.storm ? [r.storm] : [])), t0Us);
    if (recovery) row.recovery = recovery;
    return row;
  } finally {
    await Promise.all([...workers.map((w) => w.stop({ type: 'stop' })), server?.stop({ type: 'shutdown' })]);
  }
}

export type { ResourceSample };
