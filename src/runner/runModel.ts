import { setMaxListeners } from 'node:events';
import type { Scenario } from '../scenario/schema.js';
import type { ModelId } from '../models/types.js';
import type { FromWorker, ToWorker, WorkerProgress, WorkerResult } from '../ipc/worker.js';
import type { ModelResult, ProcessUsage } from '../report/result.js';
import { CONTROL_TIMEOUT_MS, Child } from './child.js';
import type { RunPlan } from './plan.js';
import { emit, type Phase, type RunListener } from './events.js';
import { summarizeModelRun, sumSamples, sumWireBytes, type RawModelRun } from './resultRow.js';
import { ServerGroup, type ServerSample } from './serverGroup.js';
import { WorkerUsage, isAlive } from './processUsage.js';
import { readKernelTcpBytes } from '../metrics/sockstat.js';
import { nowUs } from '../metrics/clock.js';
import { runError } from '../util/errors.js';
import { mergeSentByInbox } from '../client/chat.js';
import { summarizeStorm } from './stormRecovery.js';
import { sleep } from '../util/sleep.js';
import { FaultRun } from './faults.js';
import { SETTLE_MS } from '../scenario/phases.js';

type WorkerChild = Child<ToWorker, FromWorker>;

/** How long a failed model waits for each process's last sample. */
const LAST_SAMPLE_MS = 2000;
const usageOfFailed = new WeakMap<object, ProcessUsage[]>();

/** The processes of a model run that threw `err`: each with its peak memory and connections as last seen. */
export function processesOfFailedRun(err: unknown): ProcessUsage[] | undefined {
  return typeof err === 'object' && err !== null ? usageOfFailed.get(err) : undefined;
}

/** Several server processes' samples as one server's: sums of memory, CPU, sockets, bytes and counters. */
function combined(samples: ServerSample[]) {
  const counter = (name: string) => samples.reduce((a, x) => a + (x.counters[name] ?? 0), 0);
  return {
    sample: sumSamples(samples.map((x) => x.sample)),
    wireBytes: sumWireBytes(samples.map((x) => x.wireBytes)),
    heartbeatBytes: counter('heartbeatBytes'),
    deadPeers: counter('heartbeatTimeouts'),
    peakRssBytes: samples.reduce((a, x) => a + x.peakRssBytes, 0),
  };
}

/**
 * One model against a fresh reference server: start, ramp clients up, settle and sample memory,
 * warm up, measure, stop publishing, drain until every client has caught up, collect, shut down.
 * Every child is stopped on the way out, whatever happened.
 */
export async function runModel(
  s: Scenario,
  modelId: ModelId,
  plan: RunPlan,
  listeners: RunListener[],
  signal?: AbortSignal,
): Promise<ModelResult> {
  let servers: ServerGroup | undefined;
  let faults: FaultRun | undefined;
  const workers: WorkerChild[] = [];
  const workerUsage = new WorkerUsage();
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

  // Every child (and fault) listens for the interrupt: 10 workers and 3 servers pass Node's warning at 10.
  if (signal) setMaxListeners(plan.workers + s.server.processes + 10, signal);
  try {
    enter('starting');
    const group = (servers = await ServerGroup.start(s, modelId, signal));
    // Scenario faults (src/runner/faults.ts): clients may connect through its proxies.
    const faultRun = (faults = await FaultRun.open(s, group, modelId, signal));
    const sampleServer = async (gc: boolean) => combined(await group.sample(gc));
    const sampleWorkers = (gc: boolean) =>
      Promise.all(
        workers.map((w, i) =>
          w.request({ type: 'sample', gc }, 'sample', CONTROL_TIMEOUT_MS, 'report a sample').then((m) => workerUsage.note(i, m.sample)),
        ),
      );

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
      workerUsage.forked(slice.workerIndex, w.pid ?? 0);
    }
    const clientBase = await sampleWorkers(true);
    checkAbort();

    enter('connecting', s.rampUpMs);
    const rampTimeoutMs = s.rampUpMs + 60_000 + s.clients * 5;
    await Promise.all(
      workers.map((w, i) => {
        const slice = plan.slices[i]!;
        return w.request(
          {
            type: 'start',
            workerIndex: i,
            model: modelId,
            firstClientId: slice.firstClientId,
            count: slice.count,
            host: '127.0.0.1',
            sourceAddresses: plan.sourceAddresses,
            servers: faultRun.clientPorts,
            rampUpMs: s.rampUpMs,
            scenario: s,
          },
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
    if (s.workload.pattern === 'broadcast') group.publish(s.workload.ratePerSec, s.workload.payloadBytes, t0Us, publishUntilUs);
    for (const w of workers) w.send({ type: 'measure', measureFromUs, chatT0Us: t0Us, chatUntilUs: publishUntilUs });
    faultRun.schedule(t0Us);

    enter('warmup', s.warmupMs);
    await sleep(Math.max(0, (measureFromUs - nowUs()) / 1000), signal);
    checkAbort();
    await faultRun.settle(nowUs());
    const [measureStart, clientMeasureStart] = await Promise.all([sampleServer(false), sampleWorkers(false)]);

    enter('measuring', s.durationMs);
    await sleep(Math.max(0, (publishUntilUs - nowUs()) / 1000), signal);
    checkAbort();
    await faultRun.settle();
    const published = await group.stopPublish(
      {
        type: 'stop-publish',
        burst: s.workload.pattern === 'idle' ? s.workload.burst : 0,
        payloadBytes: s.workload.payloadBytes,
        untilUs: publishUntilUs,
      },
      'stop publishing',
    );
    const [measureEnd, clientMeasureEnd] = await Promise.all([sampleServer(false), sampleWorkers(false)]);

    enter('draining', s.drainTimeoutMs);
    const drainStartMs = Date.now();
    const cursors = await Promise.all(workers.map((w) => w.request({ type: 'cursors' }, 'cursors', CONTROL_TIMEOUT_MS, 'report cursors')));
    // Chat: each recipient is owed what the senders sent to its address, whether or not it reached the server.
    const owedByInbox = s.workload.pattern === 'chat' ? mergeSentByInbox(cursors.map((c) => c.sentByInbox)) : undefined;
    const expectedCounts = await group.expected(
      cursors.map((c, i) => ({ queries: c.queries, firstClientId: plan.slices[i]!.firstClientId })),
      published.lastSeq,
    );
    const results: WorkerResult[] = await Promise.all(
      workers.map(async (w, i) => {
        const drained = await w.request(
          {
            type: 'drain',
            expected: expectedCounts[i]!,
            ...(owedByInbox ? { owedByInbox } : {}),
            timeoutMs: s.drainTimeoutMs,
            lastSeq: published.lastSeq,
          },
          'drained',
          s.drainTimeoutMs + CONTROL_TIMEOUT_MS,
          'drain',
        );
        workerUsage.peak(i, drained.result.peakRssBytes);
        return drained.result;
      }),
    );
    const drainMs = Date.now() - drainStartMs;
    // Chat sends still on the wire when publishing stopped reach the log during the drain: ask for the head again.
    const publishedCount =
      s.workload.pattern === 'chat'
        ? (await group.stopPublish({ type: 'stop-publish', burst: 0, payloadBytes: 0 }, 'report the log head')).lastSeq
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
        heartbeatBytesStart: measureStart.heartbeatBytes,
        heartbeatBytesEnd: measureEnd.heartbeatBytes,
        peakRssBytes: final.peakRssBytes,
        deadPeers: final.deadPeers,
        kernelBaseBytes,
        kernelConnectedBytes,
      },
      client: { base: clientBase, connected: clientConnected, measureStart: clientMeasureStart, measureEnd: clientMeasureEnd },
      processes: [...group.usage(), ...workerUsage.rows()],
    };
    const row = summarizeModelRun(raw);
    const recovery = summarizeStorm(
      results.flatMap((r) => (r.storm ? [r.storm] : [])),
      t0Us,
    );
    if (recovery) row.recovery = recovery;
    const faultOutcomes = faultRun.outcomes(results.map((r) => r.faults));
    if (faultOutcomes) row.faults = faultOutcomes;
    return row;
  } catch (err) {
    // A model that failed shows where: every process's figures, each asked once more if it still answers.
    if (!signal?.aborted) {
      await Promise.allSettled([
        servers?.sampleSurvivors(LAST_SAMPLE_MS),
        ...workers.map(async (w, i) => {
          if (isAlive(w))
            workerUsage.note(i, (await w.request({ type: 'sample', gc: false }, 'sample', LAST_SAMPLE_MS, 'report a sample')).sample);
        }),
      ]);
    }
    if (typeof err === 'object' && err !== null) usageOfFailed.set(err, [...(servers?.usage() ?? []), ...workerUsage.rows()]);
    throw err;
  } finally {
    // First: a server a stall stopped must continue before it can be asked to stop.
    await faults?.close();
    // The server closes the connections, so their TIME_WAIT stays on its side. A client that closes
    // first holds its port for 60 s, and one bound to 127.0.0.2 cannot take a port in TIME_WAIT
    // again: 25,000 of them would leave the next model's clients on that address short of ports.
    await servers?.stop();
    await Promise.all(workers.map((w) => w.stop({ type: 'stop' })));
  }
}
