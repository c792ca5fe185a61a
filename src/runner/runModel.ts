import type { Scenario } from '../scenario/schema.js';
import type { ModelId } from '../models/types.js';
import type { WorkerResult, WorkerStart } from '../ipc/worker.js';
import type { ResourceSample } from '../metrics/process.js';
import type { ModelResult, ProcessUsage } from '../report/result.js';
import { CONTROL_TIMEOUT_MS } from './child.js';
import type { RunPlan } from './plan.js';
import { emit, type Phase, type ProgressInfo, type RunListener } from './events.js';
import { summarizeModelRun, sumSamples, sumWireBytes, type IdleCpu, type RawModelRun } from './resultRow.js';
import { ServerGroup, type ServerSample } from './serverGroup.js';
import { WorkerGroup, type ProgressTotals } from './workerGroup.js';
import { allowListeners, throwIfAborted } from './abort.js';
import { readKernelTcpBytes } from '../metrics/sockstat.js';
import { nowUs } from '../metrics/clock.js';
import { mergeSentByInbox } from '../client/chat.js';
import { summarizeStorm } from './stormRecovery.js';
import { sleep } from '../util/sleep.js';
import { FaultRun } from './faults.js';
import { SETTLE_MS } from '../scenario/phases.js';

/** How long a failed model waits for each process's last sample. */
const LAST_SAMPLE_MS = 2000;
const usageOfFailed = new WeakMap<object, ProcessUsage[]>();

/** The processes of a model run that threw `err`: each with its peak memory and connections as last seen. */
export function processesOfFailedRun(err: unknown): ProcessUsage[] | undefined {
  return typeof err === 'object' && err !== null ? usageOfFailed.get(err) : undefined;
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
  // Every child (and fault) listens for the interrupt: 10 workers and 3 servers pass Node's warning at 10.
  allowListeners(signal, plan.workers + s.server.processes + 10);
  const progress = new RunProgress(modelId, s.clients, listeners, () => workers.totals());
  const workers = new WorkerGroup(modelId, () => progress.progressed(), signal);
  let servers: ServerGroup | undefined;
  let faults: FaultRun | undefined;
  try {
    progress.enter('starting');
    servers = await ServerGroup.start(s, modelId, signal);
    // Scenario faults (src/runner/faults.ts): clients may connect through its proxies.
    faults = await FaultRun.open(s, servers, modelId, signal);
    const run: RunContext = { s, modelId, plan, signal, progress, workers, servers, faults };
    const base = await baseline(run);
    await connecting(run);
    const connected = await settling(run);
    const window = publishingWindow(s);
    const measureStart = await warmup(run, window);
    const { published, measureEnd } = await measuring(run, window);
    const drained = await draining(run, published);
    // What is left of stopping is the finally below: the row is built from what the processes said already.
    progress.enter('stopping');
    return resultRow(run, { base, connected, measureStart, measureEnd, drained, t0Us: window.t0Us, publishLags: published.publishLags });
  } catch (err) {
    await recordFailure(err, servers, workers, signal);
    throw err;
  } finally {
    await stopping(faults, servers, workers);
  }
}

/** What the phases of one model run share, once its servers listen. */
interface RunContext {
  readonly s: Scenario;
  readonly modelId: ModelId;
  readonly plan: RunPlan;
  readonly signal: AbortSignal | undefined;
  readonly progress: RunProgress;
  readonly workers: WorkerGroup;
  readonly servers: ServerGroup;
  readonly faults: FaultRun;
}

/** The phase a model run is in, told to the listeners with the workers' latest figures. */
class RunProgress {
  private phase: Phase = 'starting';
  private phaseEndsAtMs: number | undefined;

  constructor(
    private readonly modelId: ModelId,
    private readonly targetClients: number,
    private readonly listeners: RunListener[],
    private readonly totals: () => ProgressTotals,
  ) {}

  enter(phase: Phase, durationMs?: number): void {
    this.phase = phase;
    this.phaseEndsAtMs = durationMs === undefined ? undefined : Date.now() + durationMs;
    emit(this.listeners, 'phase', this.info());
  }

  progressed(): void {
    emit(this.listeners, 'progress', this.info());
  }

  private info(): ProgressInfo {
    const { connected, delivered, reconnects } = this.totals();
    const { phaseEndsAtMs } = this;
    return {
      model: this.modelId,
      phase: this.phase,
      connected,
      target: this.targetClients,
      delivered,
      reconnects,
      ...(phaseEndsAtMs ? { phaseEndsAtMs } : {}),
    };
  }
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

type ServerFigures = ReturnType<typeof combined>;

async function sampleServers(run: RunContext, gc: boolean): Promise<ServerFigures> {
  return combined(await run.servers.sample(gc));
}

/** Both sides sampled at one moment: an end of the measured window. */
interface WindowEdge {
  server: ServerFigures;
  client: ResourceSample[];
}

/**
 * A memory sample of both sides after forced GC, with the kernel's TCP buffers: before and after
 * connecting. Each side is sampled MEMORY_SAMPLES times in a row (`*Repeats`, per process): how far
 * they disagree is part of the memory figures' bound (src/metrics/bounds.ts); the last is the figure.
 */
interface MemoryPoint extends WindowEdge {
  kernelBytes: number | undefined;
  serverRepeats: ResourceSample[][];
  clientRepeats: ResourceSample[][];
}

const MEMORY_SAMPLES = 3;

/** The servers sampled MEMORY_SAMPLES times after forced GC: the last as one server's figures, and every sample per process. */
async function repeatedServerSamples(run: RunContext): Promise<{ server: ServerFigures; serverRepeats: ResourceSample[][] }> {
  const serverRepeats: ResourceSample[][] = [];
  let last: ServerSample[] = [];
  for (let i = 0; i < MEMORY_SAMPLES; i++) {
    last = await run.servers.sample(true);
    last.forEach((x, p) => (serverRepeats[p] ??= []).push(x.sample));
  }
  return { server: combined(last), serverRepeats };
}

async function repeatedWorkerSamples(run: RunContext): Promise<{ client: ResourceSample[]; clientRepeats: ResourceSample[][] }> {
  const clientRepeats: ResourceSample[][] = [];
  let client: ResourceSample[] = [];
  for (let i = 0; i < MEMORY_SAMPLES; i++) {
    client = await run.workers.sample(true);
    client.forEach((x, w) => (clientRepeats[w] ??= []).push(x));
  }
  return { client, clientRepeats };
}

/** The rest of starting: the memory baseline, taken with every worker forked and none connected. */
async function baseline(run: RunContext): Promise<MemoryPoint> {
  const servers = await repeatedServerSamples(run);
  const kernelBytes = readKernelTcpBytes();
  // Fork every worker before any connects, so the memory baseline of each is clean.
  run.workers.fork(run.plan.slices);
  const clients = await repeatedWorkerSamples(run);
  throwIfAborted(run.signal, 'the run');
  return { ...servers, kernelBytes, ...clients };
}

async function connecting(run: RunContext): Promise<void> {
  const { s } = run;
  run.progress.enter('connecting', s.rampUpMs);
  const rampTimeoutMs = s.rampUpMs + 60_000 + s.clients * 5;
  await run.workers.start((i) => workerStartMessage(run, i), rampTimeoutMs);
  throwIfAborted(run.signal, 'the run');
}

/** The `start` message of worker i: its slice of the clients, and where they connect (the servers, or the fault proxies in front of them). */
function workerStartMessage(run: RunContext, workerIndex: number): WorkerStart {
  const { s, plan } = run;
  const slice = plan.slices[workerIndex]!;
  return {
    type: 'start',
    workerIndex,
    model: run.modelId,
    firstClientId: slice.firstClientId,
    count: slice.count,
    host: '127.0.0.1',
    servers: run.faults.clientPorts,
    sourceAddresses: plan.sourceAddresses,
    rampUpMs: s.rampUpMs,
    scenario: s,
  };
}

/** After settling, connected and idle: memory, and the CPU the processes used meanwhile with no message to handle. */
interface Settled extends MemoryPoint {
  idle: IdleCpu;
}

/**
 * Every client has connected or failed: after SETTLE_MS, the memory per connection is this sample
 * minus the baseline. The settle itself is sampled without GC at both ends: its CPU is the
 * background the CPU-per-message figures carry (src/metrics/bounds.ts).
 */
async function settling(run: RunContext): Promise<Settled> {
  run.progress.enter('settling', SETTLE_MS);
  const from = await Promise.all([sampleServers(run, false), run.workers.sample(false)]);
  await sleep(SETTLE_MS, run.signal);
  const to = await Promise.all([sampleServers(run, false), run.workers.sample(false)]);
  const servers = await repeatedServerSamples(run);
  const kernelBytes = readKernelTcpBytes();
  const clients = await repeatedWorkerSamples(run);
  throwIfAborted(run.signal, 'the run');
  const idle: IdleCpu = {
    serverCpuUs: cpuUsOf(to[0].sample) - cpuUsOf(from[0].sample),
    clientCpuUs: to[1].reduce((a, s, i) => a + cpuUsOf(s) - cpuUsOf(from[1][i]!), 0),
    durationUs: to[0].sample.atUs - from[0].sample.atUs,
  };
  return { ...servers, kernelBytes, ...clients, idle };
}

const cpuUsOf = (s: ResourceSample) => s.cpuUserUs + s.cpuSystemUs;

/** When publishing starts (t0Us), the measured window opens (measureFromUs) and publishing ends (publishUntilUs). */
interface PublishingWindow {
  t0Us: number;
  measureFromUs: number;
  publishUntilUs: number;
}

function publishingWindow(s: Scenario): PublishingWindow {
  // Publishing starts a moment ahead so the first scheduled message is not already late.
  const t0Us = nowUs() + 20_000;
  const measureFromUs = t0Us + s.warmupMs * 1000;
  return { t0Us, measureFromUs, publishUntilUs: measureFromUs + s.durationMs * 1000 };
}

/** Publishing (and the fault schedule) starts at t0; the workers record latency only from measureFromUs. */
async function warmup(run: RunContext, w: PublishingWindow): Promise<WindowEdge> {
  const { s } = run;
  if (s.workload.pattern === 'broadcast')
    run.servers.publish(s.workload.ratePerSec, s.workload.payloadBytes, w.t0Us, w.publishUntilUs, w.measureFromUs);
  run.workers.measure({ type: 'measure', measureFromUs: w.measureFromUs, chatT0Us: w.t0Us, chatUntilUs: w.publishUntilUs });
  run.faults.schedule(w.t0Us);

  run.progress.enter('warmup', s.warmupMs);
  await sleep(Math.max(0, (w.measureFromUs - nowUs()) / 1000), run.signal);
  throwIfAborted(run.signal, 'the run');
  await run.faults.settle(nowUs());
  const [server, client] = await Promise.all([sampleServers(run, false), run.workers.sample(false)]);
  return { server, client };
}

/** Until the end of the window; then every fault is over and publishing stops (an idle workload's burst goes out). */
async function measuring(run: RunContext, w: PublishingWindow) {
  const { s } = run;
  run.progress.enter('measuring', s.durationMs);
  await sleep(Math.max(0, (w.publishUntilUs - nowUs()) / 1000), run.signal);
  throwIfAborted(run.signal, 'the run');
  await run.faults.settle();
  let lastSeq = await run.servers.stopPublishing(w.publishUntilUs);
  // An idle scenario ends with a burst, to prove delivery still works after the quiet.
  if (s.workload.pattern === 'idle' && s.workload.burst > 0) lastSeq = await run.servers.burst(s.workload.burst, s.workload.payloadBytes);
  const [server, client] = await Promise.all([sampleServers(run, false), run.workers.sample(false)]);
  const measureEnd: WindowEdge = { server, client };
  // After the window's last sample: the question is not part of the window.
  const published = { lastSeq, publishLags: await run.servers.publishLags() };
  return { published, measureEnd };
}

interface Drained {
  results: WorkerResult[];
  drainMs: number;
  /** The log head at the end: what the row counts as published. */
  publishedCount: number;
  /** The servers' last sample (peak memory, dead peers). */
  final: ServerFigures;
}

/** Every client is told what it is owed and given until drainTimeout to have it; then the workers report. */
async function draining(run: RunContext, published: { lastSeq: number }): Promise<Drained> {
  const { s, plan } = run;
  run.progress.enter('draining', s.drainTimeoutMs);
  const drainStartMs = Date.now();
  const cursors = await run.workers.cursors();
  // Chat: each recipient is owed what the senders sent to its address, whether or not it reached the server.
  const owedByInbox = s.workload.pattern === 'chat' ? mergeSentByInbox(cursors.map((c) => c.sentByInbox)) : undefined;
  const expectedCounts = await run.servers.expected(
    cursors.map((c, i) => ({ queries: c.queries, firstClientId: plan.slices[i]!.firstClientId })),
    published.lastSeq,
  );
  const results = await run.workers.drain(
    (i) => ({
      type: 'drain',
      expected: expectedCounts[i]!,
      ...(owedByInbox ? { owedByInbox } : {}),
      timeoutMs: s.drainTimeoutMs,
      lastSeq: published.lastSeq,
    }),
    s.drainTimeoutMs + CONTROL_TIMEOUT_MS,
  );
  const drainMs = Date.now() - drainStartMs;
  // Chat sends still on the wire when publishing stopped reach the log during the drain: ask for the head again.
  const publishedCount = s.workload.pattern === 'chat' ? await run.servers.head() : published.lastSeq;
  const final = await sampleServers(run, false);
  return { results, drainMs, publishedCount, final };
}

/** What the phases measured, for the result row. */
interface Measured {
  base: MemoryPoint;
  connected: Settled;
  publishLags: string[];
  measureStart: WindowEdge;
  measureEnd: WindowEdge;
  drained: Drained;
  t0Us: number;
}

function resultRow(run: RunContext, m: Measured): ModelResult {
  const { s } = run;
  const { results } = m.drained;
  const raw: RawModelRun = {
    model: run.modelId,
    matrix: s.matrix,
    durationMs: s.durationMs,
    rampUpMs: s.rampUpMs,
    drainMs: m.drained.drainMs,
    published: m.drained.publishedCount,
    workers: results,
    server: {
      base: m.base.server.sample,
      connected: m.connected.server.sample,
      measureStart: m.measureStart.server.sample,
      measureEnd: m.measureEnd.server.sample,
      wireStart: m.measureStart.server.wireBytes,
      wireEnd: m.measureEnd.server.wireBytes,
      heartbeatBytesStart: m.measureStart.server.heartbeatBytes,
      heartbeatBytesEnd: m.measureEnd.server.heartbeatBytes,
      peakRssBytes: m.drained.final.peakRssBytes,
      deadPeers: m.drained.final.deadPeers,
      kernelBaseBytes: m.base.kernelBytes,
      kernelConnectedBytes: m.connected.kernelBytes,
    },
    client: { base: m.base.client, connected: m.connected.client, measureStart: m.measureStart.client, measureEnd: m.measureEnd.client },
    memoryRepeats: {
      serverBase: m.base.serverRepeats,
      serverConnected: m.connected.serverRepeats,
      clientBase: m.base.clientRepeats,
      clientConnected: m.connected.clientRepeats,
    },
    idle: m.connected.idle,
    publishLags: m.publishLags,
    processes: [...run.servers.usage(), ...run.workers.usage()],
  };
  const row = summarizeModelRun(raw);
  const recovery = summarizeStorm(
    results.flatMap((r) => (r.storm ? [r.storm] : [])),
    m.t0Us,
  );
  if (recovery) row.recovery = recovery;
  const faultOutcomes = run.faults.outcomes(results.map((r) => r.faults));
  if (faultOutcomes) row.faults = faultOutcomes;
  return row;
}

/** A model that failed shows where: every process's figures, each asked once more if it still answers. */
async function recordFailure(err: unknown, servers: ServerGroup | undefined, workers: WorkerGroup, signal?: AbortSignal): Promise<void> {
  if (!signal?.aborted) await Promise.allSettled([servers?.sampleSurvivors(LAST_SAMPLE_MS), workers.sampleSurvivors(LAST_SAMPLE_MS)]);
  if (typeof err === 'object' && err !== null) usageOfFailed.set(err, [...(servers?.usage() ?? []), ...workers.usage()]);
}

/** Whatever happened: every process that was started is stopped, in this order. */
async function stopping(faults: FaultRun | undefined, servers: ServerGroup | undefined, workers: WorkerGroup): Promise<void> {
  // First: a server a stall stopped must continue before it can be asked to stop.
  await faults?.close();
  // The server closes the connections, so their TIME_WAIT stays on its side. A client that closes
  // first holds its port for 60 s, and one bound to 127.0.0.2 cannot take a port in TIME_WAIT
  // again: 25,000 of them would leave the next model's clients on that address short of ports.
  await servers?.stop();
  await workers.stop();
}
