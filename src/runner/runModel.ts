import type { Scenario } from '../scenario/schema.js';
import type { ModelId } from '../models/types.js';
import type { WorkerResult, WorkerStart } from '../ipc/worker.js';
import type { ServerFigures } from '../ipc/control.js';
import type { PublishTimes } from '../ipc/common.js';
import type { ResourceSample } from '../metrics/process.js';
import type { OffsetEstimate } from '../metrics/clockOffset.js';
import type { ModelResult, ProcessUsage } from '../report/result.js';
import { CONTROL_TIMEOUT_MS } from './child.js';
import type { RunPlan } from './plan.js';
import { emit, type Phase, type ProgressInfo, type RunListener } from './events.js';
import { summarizeModelRun, type IdleCpu, type RawModelRun, type ServerWindow } from './resultRow.js';
import { LocalServers, MEMORY_SAMPLES, type PublishingWindow, type SamplePoint, type ServerMemory, type Servers } from './servers.js';
import { WorkerGroup, type ProgressTotals } from './workerGroup.js';
import { AbortScope, allowListeners, throwIfAborted } from './abort.js';
import { ClientPath } from './clientPath.js';
import { clientTlsOf, serverTlsOf, viaOf, type RunNetwork } from './network.js';
import { readTimeWait } from '../metrics/timeWait.js';
import type { RawTransport } from './transportRow.js';
import { nowUs } from '../metrics/clock.js';
import { clockOfRun, workerClocks, type WorkerClock } from './clockRow.js';
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

/** Without TLS and intermediaries: plain, direct. */
const DIRECT: RunNetwork = { ticketKeys: '', binaries: {} };

/**
 * A run whose server is on another host (`run --target`): where each model run's server comes
 * from, and who keeps what the run measured before it became a row (a shard's result keeps it, so
 * `connbench merge` can build the row of all shards as one machine would have).
 */
export interface RemoteRun {
  /** This shard's index (`--shard i/n`). */
  readonly shard: number;
  open(s: Scenario, modelId: ModelId, signal?: AbortSignal): Promise<Servers>;
  /** `t0Us`: when publishing started, in the server's clock. */
  measured(m: { raw: RawModelRun; clocks: WorkerClock[]; t0Us: number }): void;
}

/** Where a model run's clients meet its server: the run's network (TLS, intermediaries), or a server elsewhere. */
export interface ModelRunAt {
  network?: RunNetwork;
  remote?: RemoteRun;
}

/** The server processes of a point, listening with TLS when clients reach them directly over it, on a via's upstream ports when it has one. */
function startLocalServers(s: Scenario, modelId: ModelId, network: RunNetwork, signal: AbortSignal): Promise<LocalServers> {
  const tls = serverTlsOf(s, network);
  const upstream = viaOf(s)?.upstream;
  return LocalServers.start(s, modelId, signal, { ...(tls ? { tls } : {}), ...(upstream ? { portsOf: () => upstream } : {}) });
}

/**
 * One model against a fresh reference server: start, ramp clients up, settle and sample memory,
 * warm up, measure, stop publishing, drain until every client has caught up, collect, shut down.
 * Every child is stopped on the way out, whatever happened. `at.network`: the run's certificates
 * and intermediaries (src/runner/network.ts), for a point with TLS or an intermediary; `at.remote`:
 * the server is elsewhere and these are one shard's clients.
 */
export async function runModel(
  s: Scenario,
  modelId: ModelId,
  plan: RunPlan,
  listeners: RunListener[],
  signal?: AbortSignal,
  at: ModelRunAt = {},
): Promise<ModelResult> {
  // The model's own end: the run's interrupt, or an intermediary that died (which fails only this model).
  const scope = new AbortScope(signal);
  // Every child (and fault) listens for the interrupt: 10 workers and 3 servers pass Node's warning at 10.
  allowListeners(signal, plan.workers + s.server.processes + 10);
  allowListeners(scope.signal, plan.workers + s.server.processes + 10);
  const target = plan.slices.reduce((a, x) => a + x.count, 0);
  const progress = new RunProgress(modelId, target, listeners, () => workers.totals());
  const workers = new WorkerGroup(modelId, () => progress.progressed(), scope.signal);
  const { remote, network = DIRECT } = at;
  let servers: Servers | undefined;
  let faults: FaultRun | undefined;
  let path: ClientPath | undefined;
  try {
    progress.enter('starting');
    // The workers load while the servers start (each process spends most of its start importing
    // the models); they connect nothing until `connecting`, so their memory baseline stays clean.
    workers.fork(plan.slices);
    servers = remote ? await remote.open(s, modelId, scope.signal) : await startLocalServers(s, modelId, network, scope.signal);
    path = await ClientPath.open(s, servers, network, () => scope.end());
    // Scenario faults (src/runner/faults.ts): clients may connect through its proxies.
    faults = await FaultRun.open(s, servers, modelId, scope.signal, path.front);
    const run: RunContext = { s, modelId, plan, signal: scope.signal, progress, workers, servers, faults, remote, path, network };
    const base = await baseline(run);
    await connecting(run);
    const { connected, clockBefore } = await settling(run);
    const window = await run.servers.release(s);
    const measureStart = await warmup(run, window);
    const { published, measureEnd, clockAfter } = await measuring(run, window);
    const drained = await draining(run, published);
    // What is left of stopping is the finally below: the row is built from what the processes said already.
    progress.enter('stopping');
    const t0Us = window.t0Us;
    return resultRow(run, {
      base,
      connected,
      measureStart,
      measureEnd,
      drained,
      t0Us,
      publishTimes: published.publishTimes,
      clockBefore,
      clockAfter,
    });
  } catch (err) {
    // A dead intermediary ended the model's waits: its own failure says why.
    const failure: unknown = path?.failure ?? err;
    await recordFailure(failure, servers, workers, signal, path);
    throw failure;
  } finally {
    scope.end();
    await stopping(faults, path, servers, workers);
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
  readonly servers: Servers;
  readonly faults: FaultRun;
  readonly remote: RemoteRun | undefined;
  readonly path: ClientPath;
  readonly network: RunNetwork;
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

function sampleServers(run: RunContext, point: SamplePoint, gc: boolean): Promise<ServerFigures> {
  return run.servers.sample(point, gc);
}

/** Both sides sampled at one moment: an end of the measured window. */
interface WindowEdge {
  server: ServerFigures;
  client: ResourceSample[];
  /** Connections the clients had opened by then. */
  opened: number;
}

/**
 * A memory sample of both sides after forced GC, with the kernel's TCP buffers (server.kernelBytes):
 * before and after connecting. Each side is sampled MEMORY_SAMPLES times in a row (`*Repeats`, per
 * process): how far they disagree is part of the memory figures' bound (src/metrics/bounds.ts); the
 * last is the figure.
 */
interface MemoryPoint extends WindowEdge {
  serverRepeats: ResourceSample[][];
  clientRepeats: ResourceSample[][];
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
  const { server, serverRepeats } = await run.servers.memory('base');
  run.path.sample('base');
  const clients = await repeatedWorkerSamples(run);
  throwIfAborted(run.signal, 'the run');
  return { server, serverRepeats, ...clients, opened: 0 };
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
  const clientTls = clientTlsOf(s, run.network);
  return {
    type: 'start',
    workerIndex,
    model: run.modelId,
    firstClientId: slice.firstClientId,
    count: slice.count,
    ...(slice.stride ? { stride: slice.stride } : {}),
    host: run.path.host,
    servers: run.faults.clientPorts,
    sourceAddresses: plan.sourceAddresses,
    rampUpMs: s.rampUpMs,
    scenario: s,
    ...(run.servers.clock ? { clock: run.servers.clock } : {}),
    ...(clientTls ? { tls: clientTls } : {}),
  };
}

/** After settling, connected and idle: memory, and the CPU the processes used meanwhile with no message to handle. */
interface Settled extends MemoryPoint {
  idle: IdleCpu;
}

/**
 * Every client has connected or failed: after SETTLE_MS, the memory per connection is this sample
 * minus the baseline. The settle itself is sampled without GC at both ends: its CPU is the
 * background the CPU-per-message figures carry (src/metrics/bounds.ts). A server on another host
 * measures its own idle CPU and memory once every shard's clients are connected (ServerMemory.idle);
 * before that each worker estimates its offset to the server's clock, while all is quiet.
 */
async function settling(run: RunContext): Promise<{ connected: Settled; clockBefore?: OffsetEstimate[] }> {
  run.progress.enter('settling', SETTLE_MS);
  const from = await Promise.all([sampleServers(run, 'settle', false), run.workers.sample(false)]);
  await sleep(SETTLE_MS, run.signal);
  const to = await Promise.all([sampleServers(run, 'settle', false), run.workers.sample(false)]);
  const clockBefore = run.servers.clock ? await run.workers.clock(true) : undefined;
  const servers = await run.servers.memory('connected');
  run.path.sample('connected');
  const clients = await repeatedWorkerSamples(run);
  throwIfAborted(run.signal, 'the run');
  const idle: IdleCpu = {
    ...serverIdle(servers, from[0], to[0], from[1], to[1]),
    clientCpuUs: to[1].reduce((a, s, i) => a + cpuUsOf(s) - cpuUsOf(from[1][i]!), 0),
  };
  return {
    connected: { server: servers.server, serverRepeats: servers.serverRepeats, ...clients, idle, opened: run.workers.connectionsOpened },
    ...(clockBefore ? { clockBefore } : {}),
  };
}

const cpuUsOf = (s: ResourceSample) => s.cpuUserUs + s.cpuSystemUs;

/**
 * The servers' CPU over the settle: their samples at both ends, or, for a server on another host,
 * its own idle CPU at the barrier scaled to the length of this shard's settle (the workers' samples).
 */
function serverIdle(
  servers: ServerMemory,
  from: ServerFigures,
  to: ServerFigures,
  clientsFrom: ResourceSample[],
  clientsTo: ResourceSample[],
): { serverCpuUs: number; durationUs: number } {
  if (!servers.idle) return { serverCpuUs: cpuUsOf(to.sample) - cpuUsOf(from.sample), durationUs: to.sample.atUs - from.sample.atUs };
  const durationUs = (clientsTo[0]?.atUs ?? 0) - (clientsFrom[0]?.atUs ?? 0);
  return { serverCpuUs: (servers.idle.cpuUs * durationUs) / Math.max(1, servers.idle.durationUs), durationUs };
}

/** Milliseconds from now until `atUs` of the server's clock. */
const msUntil = (w: PublishingWindow, atUs: number) => Math.max(0, (atUs - (nowUs() + w.offsetUs)) / 1000);

/** Publishing (and the fault schedule) starts at t0; the workers record latency only from measureFromUs. */
async function warmup(run: RunContext, w: PublishingWindow): Promise<WindowEdge> {
  const { s } = run;
  run.workers.measure({ type: 'measure', measureFromUs: w.measureFromUs, chatT0Us: w.t0Us, chatUntilUs: w.publishUntilUs });
  run.faults.schedule(w.t0Us);

  run.progress.enter('warmup', s.warmupMs);
  await sleep(msUntil(w, w.measureFromUs), run.signal);
  throwIfAborted(run.signal, 'the run');
  await run.faults.settle(nowUs());
  const [server, client] = await Promise.all([sampleServers(run, 'measureStart', false), run.workers.sample(false)]);
  run.path.sample('measureStart');
  return { server, client, opened: run.workers.connectionsOpened };
}

/** Until the end of the window; then every fault is over and publishing stops (an idle workload's burst goes out). */
async function measuring(run: RunContext, w: PublishingWindow) {
  const { s } = run;
  run.progress.enter('measuring', s.durationMs);
  await sleep(msUntil(w, w.publishUntilUs), run.signal);
  throwIfAborted(run.signal, 'the run');
  await run.faults.settle();
  let lastSeq = await run.servers.stopPublishing(w.publishUntilUs);
  // An idle scenario ends with a burst, to prove delivery still works after the quiet.
  if (s.workload.pattern === 'idle' && s.workload.burst > 0) lastSeq = await run.servers.burst(s.workload.burst, s.workload.payloadBytes);
  const [server, client] = await Promise.all([sampleServers(run, 'measureEnd', false), run.workers.sample(false)]);
  run.path.sample('measureEnd');
  const measureEnd: WindowEdge & { timeWait: RawTransport['timeWait'] } = {
    server,
    client,
    opened: run.workers.connectionsOpened,
    timeWait: timeWaitOf(run),
  };
  // After the window's last sample: the question is not part of the window.
  const published = { lastSeq, publishTimes: await run.servers.publishTimes() };
  // The second clock estimate, for the drift over the window, before the drain makes the workers busy.
  const clockAfter = run.servers.clock ? await run.workers.clock(false) : undefined;
  return { published, measureEnd, ...(clockAfter ? { clockAfter } : {}) };
}

/**
 * TIME_WAIT at the end of the window on both sides of the ports the clients connect to: whoever
 * closed first holds them for 60 s. A server on another host keeps its own, out of sight here.
 */
function timeWaitOf(run: RunContext): RawTransport['timeWait'] {
  const counted = readTimeWait(run.faults.clientPorts.flatMap((p) => Object.values(p) as number[]));
  return counted && run.remote ? { client: counted.client } : counted;
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
  const sentByInbox = s.workload.pattern === 'chat' ? mergeSentByInbox(cursors.map((c) => c.sentByInbox)) : undefined;
  const { counts: expectedCounts, owedByInbox } = await run.servers.expected(
    cursors.map((c, i) => {
      const { firstClientId, stride } = plan.slices[i]!;
      return { queries: c.queries, firstClientId, ...(stride ? { stride } : {}) };
    }),
    published.lastSeq,
    sentByInbox,
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
  const final = await sampleServers(run, 'final', false);
  return { results, drainMs, publishedCount, final };
}

/** What the phases measured, for the result row. */
interface Measured {
  base: MemoryPoint;
  connected: Settled;
  publishTimes: PublishTimes;
  measureStart: WindowEdge;
  measureEnd: WindowEdge & { timeWait: RawTransport['timeWait'] };
  drained: Drained;
  t0Us: number;
  /** With a server on another host: each worker's clock offset estimates, before and after the window. */
  clockBefore?: OffsetEstimate[];
  clockAfter?: OffsetEstimate[];
}

/** The result row: what the processes reported summarized, then the storm, the faults and, across hosts, the clocks. */
function resultRow(run: RunContext, m: Measured): ModelResult {
  const { results } = m.drained;
  const raw = rawModelRun(run, m);
  const row = summarizeModelRun(raw);
  const recovery = summarizeStorm(
    results.flatMap((r) => (r.storm ? [r.storm] : [])),
    m.t0Us,
  );
  if (recovery) row.recovery = recovery;
  const faultOutcomes = run.faults.outcomes(results.map((r) => r.faults));
  if (faultOutcomes) row.faults = faultOutcomes;
  if (m.clockBefore) {
    const clocks = workerClocks(m.clockBefore, m.clockAfter);
    const clock = clockOfRun([{ shard: run.remote?.shard ?? 0, workers: clocks }]);
    if (clock) row.clock = clock;
    run.remote?.measured({ raw, clocks, t0Us: m.t0Us });
  }
  return row;
}

/** What the phases measured, as summarizeModelRun reads it. */
function rawModelRun(run: RunContext, m: Measured): RawModelRun {
  const { s } = run;
  const { results } = m.drained;
  return {
    model: run.modelId,
    matrix: s.matrix,
    durationMs: s.durationMs,
    rampUpMs: s.rampUpMs,
    drainMs: m.drained.drainMs,
    published: m.drained.publishedCount,
    workers: results,
    ...(s.client.busyPoll ? { busyPoll: true } : {}),
    server: serverWindowOf(m),
    client: { base: m.base.client, connected: m.connected.client, measureStart: m.measureStart.client, measureEnd: m.measureEnd.client },
    memoryRepeats: {
      serverBase: m.base.serverRepeats,
      serverConnected: m.connected.serverRepeats,
      clientBase: m.base.clientRepeats,
      clientConnected: m.connected.clientRepeats,
    },
    idle: m.connected.idle,
    publishTimes: m.publishTimes,
    processes: [...run.servers.usage(), ...run.workers.usage(), ...run.path.usage()],
    transport: {
      tlsEnabled: s.tls.enabled,
      reports: results.flatMap((r) => (r.transport ? [r.transport] : [])),
      openedAtStart: m.measureStart.opened,
      openedAtEnd: m.measureEnd.opened,
      timeWait: m.measureEnd.timeWait,
      serverCounters: m.drained.final.counters,
      proxy: run.path.raw(),
    },
  };
}

/** The server's samples at each point of the run, its wire and heartbeat bytes at the window's edges, its counts at the end. */
function serverWindowOf(m: Measured): ServerWindow {
  return {
    base: m.base.server.sample,
    connected: m.connected.server.sample,
    measureStart: m.measureStart.server.sample,
    measureEnd: m.measureEnd.server.sample,
    wireStart: m.measureStart.server.wireBytes,
    wireEnd: m.measureEnd.server.wireBytes,
    heartbeatBytesStart: m.measureStart.server.heartbeatBytes,
    heartbeatBytesEnd: m.measureEnd.server.heartbeatBytes,
    ...(m.measureStart.server.publishSpinUs !== undefined ? { publishSpinUsStart: m.measureStart.server.publishSpinUs } : {}),
    ...(m.measureEnd.server.publishSpinUs !== undefined ? { publishSpinUsEnd: m.measureEnd.server.publishSpinUs } : {}),
    peakRssBytes: m.drained.final.peakRssBytes,
    deadPeers: m.drained.final.deadPeers,
    slowReaderCuts: m.drained.final.slowReaderCuts,
    kernelBaseBytes: m.base.server.kernelBytes,
    kernelConnectedBytes: m.connected.server.kernelBytes,
  };
}

/** A model that failed shows where: every process's figures, each asked once more if it still answers. */
async function recordFailure(
  err: unknown,
  servers: Servers | undefined,
  workers: WorkerGroup,
  signal: AbortSignal | undefined,
  path: ClientPath | undefined,
): Promise<void> {
  if (!signal?.aborted) await Promise.allSettled([servers?.sampleSurvivors(LAST_SAMPLE_MS), workers.sampleSurvivors(LAST_SAMPLE_MS)]);
  if (typeof err === 'object' && err !== null)
    usageOfFailed.set(err, [...(servers?.usage() ?? []), ...workers.usage(), ...(path?.usage() ?? [])]);
}

/** Whatever happened: every process that was started is stopped, in this order. */
async function stopping(
  faults: FaultRun | undefined,
  path: ClientPath | undefined,
  servers: Servers | undefined,
  workers: WorkerGroup,
): Promise<void> {
  // First: a server a stall stopped must continue before it can be asked to stop.
  await faults?.close();
  // The intermediary closes both its sides first, so no client is left holding a port in TIME_WAIT.
  await path?.stop();
  // The server closes the connections, so their TIME_WAIT stays on its side. A client that closes
  // first holds its port for 60 s, and one bound to 127.0.0.2 cannot take a port in TIME_WAIT
  // again: 25,000 of them would leave the next model's clients on that address short of ports.
  await servers?.stop();
  await workers.stop();
}
