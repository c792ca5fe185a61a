import type { ModelId, ServerSettings } from '../models/types.js';
import { getModel } from '../models/index.js';
import type { ListenerKind, Ports } from '../models/listeners.js';
import type { FromLabWorker, LabWorkerStart, LabWorkerStatus, ToLabWorker } from '../ipc/labWorker.js';
import type { FromServer, ServerStart, ToServer } from '../ipc/server.js';
import { CONTROL_TIMEOUT_MS, Child } from '../runner/child.js';
import { throwIfAborted } from '../runner/abort.js';
import { FaultProxy } from '../proxy/faultProxy.js';
import type { ConnectionRecord } from '../proxy/connection.js';
import { ConnbenchError, runError } from '../util/errors.js';
import { formatDurationMs } from '../util/units.js';
import { TOOL_VERSION } from '../util/version.js';
import { nowUs } from '../metrics/clock.js';
import type { LabInterval, LabPlan } from './plan.js';
import { bytesPerClientPerMinute, detectionStats } from './measure.js';
import { recommend } from './recommend.js';
import { HEARTBEAT_SCHEMA_VERSION, type HeartbeatIntervalResult, type HeartbeatModelResult, type HeartbeatResult } from './result.js';
import { sleep } from '../util/sleep.js';
import { currentEnv } from '../report/env.js';

type ServerChild = Child<ToServer, FromServer>;
type WorkerChild = Child<ToLabWorker, FromLabWorker>;

export interface LabOptions {
  plan: LabPlan;
  signal?: AbortSignal;
  /** One line per step, for a progress display. */
  progress?: (line: string) => void;
  /** The whole result after each model, so an interruption loses nothing finished. */
  checkpoint?: (r: HeartbeatResult) => void;
}

/** Messages published at each cut, while cut clients are reconnecting: resume must bring them. */
const BURST_MESSAGES = 5;
const BURST_PAYLOAD_BYTES = 64;
/** Reconnect backoff of the lab's clients (real time: it is not part of what is swept). */
const RECONNECT = { minDelayMs: 20, maxDelayMs: 500 };
/** The longest the lab waits for every client to be connected before it starts watching. */
const SETTLE_MAX_MS = 10_000;
/** Slack on top of interval + timeout when waiting for dead-peer detection (real ms). */
const DETECTION_SLACK_MS = 500;

/** How often the lab asks both processes for their dead-peer records while it waits for them. */
const DETECTION_POLL_MS = 50;
/** What the error says was interrupted. */
const INTERRUPTED = 'the heartbeat lab';

async function until(cond: () => boolean | Promise<boolean>, deadlineMs: number, signal?: AbortSignal, everyMs = 10): Promise<void> {
  while (!(await cond()) && Date.now() < deadlineMs && !signal?.aborted) await sleep(everyMs, signal);
}

/**
 * Sweeps heartbeat intervals for each model through a fault proxy that behaves like the chosen
 * intermediary. Per interval: a fresh server process, two proxies (HTTP and TCP ports) and a
 * client process; then a quiet window (survival, heartbeat bytes), a window with bursts published
 * at every cut (loss across reconnects), a drain, and a half-open injection (dead-peer detection).
 */
export async function runHeartbeatLab(o: LabOptions): Promise<HeartbeatResult> {
  const p = o.plan;
  const result = labResultOf(p);
  o.checkpoint?.(result);
  for (const model of p.models) {
    if (o.signal?.aborted) break;
    const row: HeartbeatModelResult = { model, status: 'ok', intervals: [], recommendation: null };
    result.models.push(row);
    try {
      for (const iv of p.intervals) {
        if (o.signal?.aborted) break;
        o.progress?.(`${model}: heartbeat every ${formatDurationMs(iv.intervalMs)} (timeout ${formatDurationMs(iv.timeoutMs)})`);
        row.intervals.push(await runInterval(model, iv, p, o.signal));
      }
      if (!o.signal?.aborted)
        row.recommendation = recommend({
          idleTimeoutMs: p.idleTimeoutMs,
          intermediary: p.preset?.name ?? 'intermediary',
          safetyMargin: p.safetyMargin,
          detectWithinMs: p.detectWithinMs,
          observeMs: p.observeMs,
          intervals: row.intervals,
        });
    } catch (err) {
      const e = err instanceof ConnbenchError ? err : runError('CB_ERR_LAB', String((err as Error)?.message ?? err));
      row.status = 'failed';
      row.error = { code: e.code, message: e.message };
    }
    o.checkpoint?.(result);
  }
  result.complete = !o.signal?.aborted;
  result.finishedAt = new Date().toISOString();
  o.checkpoint?.(result);
  return result;
}

/** The result before any model has run: the sweep's settings. */
function labResultOf(p: LabPlan): HeartbeatResult {
  return {
    schemaVersion: HEARTBEAT_SCHEMA_VERSION,
    kind: 'heartbeat',
    tool: { name: 'connbench', version: TOOL_VERSION },
    startedAt: new Date().toISOString(),
    finishedAt: null,
    complete: false,
    env: currentEnv(),
    settings: {
      clients: p.clients,
      idleTimeoutMs: p.idleTimeoutMs,
      idleAction: p.idleAction,
      preset: p.preset ? { id: p.preset.id, name: p.preset.name, setting: p.preset.setting, source: p.preset.source } : null,
      timeScale: p.timeScale,
      observeMs: p.observeMs,
      safetyMargin: p.safetyMargin,
      detectWithinMs: p.detectWithinMs,
      tcpKeepAliveMs: p.tcpKeepAliveMs ?? null,
      sseEcho: p.sseEcho,
    },
    models: [],
  };
}

/** One model at one interval, every duration divided by the time scale. */
async function runInterval(model: ModelId, iv: LabInterval, p: LabPlan, signal?: AbortSignal): Promise<HeartbeatIntervalResult> {
  const setup = intervalSetup(model, iv, p, signal);
  const processes = new LabProcesses();
  try {
    const lab = await startProcesses(setup, processes);
    const atStart = await settle(lab);
    const quiet = await quietWindow(lab);
    await lossWindow(lab);
    const drained = await drain(lab);
    const detection = await halfOpen(lab);
    const last = await lastCounts(lab);
    return intervalResult(lab, { atStart, quiet, drained, detection, last });
  } finally {
    await processes.stop();
  }
}

/** One model at one interval, with the durations the processes use: real ms, after the time scale. */
interface IntervalSetup {
  readonly model: ModelId;
  readonly iv: LabInterval;
  readonly p: LabPlan;
  readonly signal: AbortSignal | undefined;
  /** A plan duration in real ms after the time scale, whole: these travel in query strings and timers. */
  readonly scaled: (ms: number) => number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly idleMs: number;
  /** Names the interval's processes in their errors. */
  readonly label: string;
}

function intervalSetup(model: ModelId, iv: LabInterval, p: LabPlan, signal: AbortSignal | undefined): IntervalSetup {
  const scaled = (ms: number) => Math.max(1, Math.round(ms / p.timeScale));
  return {
    model,
    iv,
    p,
    signal,
    scaled,
    intervalMs: scaled(iv.intervalMs),
    timeoutMs: scaled(iv.timeoutMs),
    idleMs: scaled(p.idleTimeoutMs),
    label: `${model} at ${formatDurationMs(iv.intervalMs)}`,
  };
}

/** The processes and proxies of one interval, as far as they have started: each is stopped at its end. */
class LabProcesses {
  server: ServerChild | undefined;
  worker: WorkerChild | undefined;
  readonly proxies: FaultProxy[] = [];

  async stop(): Promise<void> {
    await Promise.all([this.worker?.stop({ type: 'stop' }), this.server?.stop({ type: 'shutdown' })]);
    await Promise.all(this.proxies.map((x) => x.close()));
  }
}

/** What the phases of one interval share, once its processes run. */
interface IntervalContext extends IntervalSetup {
  readonly server: ServerChild;
  readonly worker: WorkerChild;
  /** In front of the server's HTTP port, then its TCP port. */
  readonly proxies: FaultProxy[];
  readonly bursts: Bursts;
  /** The client process's status when it had tried to connect every client. */
  readonly started: LabWorkerStatus;
}

/**
 * Messages published at the server in bursts, one burst at a time: a reply of the same type answers
 * every request waiting for it. While `onCut` is set, a wave of idle cuts publishes one too.
 */
class Bursts {
  /** The log head after the latest burst. */
  lastSeq = 0;
  onCut = false;
  private queue = Promise.resolve();
  private lastAtMs = 0;

  constructor(
    private readonly server: ServerChild,
    private readonly idleMs: number,
  ) {}

  publish(): Promise<void> {
    this.lastAtMs = Date.now();
    this.queue = this.queue.then(async () => {
      const m = await this.server.request(
        { type: 'burst', count: BURST_MESSAGES, payloadBytes: BURST_PAYLOAD_BYTES },
        'head',
        CONTROL_TIMEOUT_MS,
        'publish a burst',
      );
      this.lastSeq = Math.max(this.lastSeq, m.lastSeq);
    });
    return this.queue;
  }

  /** Every burst asked for so far has been published. */
  published(): Promise<void> {
    return this.queue;
  }

  /** The proxies' fault listener. */
  readonly onFault = (rec: ConnectionRecord): void => {
    // One burst per wave of cuts: connections opened together idle out together.
    if (this.onCut && rec.fault?.kind.startsWith('idle') && Date.now() - this.lastAtMs > this.idleMs / 4)
      void this.publish().catch(() => undefined);
  };
}

/** A fresh server process, a proxy in front of each of its listeners, and the client process connected through them. */
async function startProcesses(setup: IntervalSetup, processes: LabProcesses): Promise<IntervalContext> {
  const { p, model, label } = setup;
  const server = (processes.server = new Child<ToServer, FromServer>('server/main.js', `server process for ${label}`));
  const listening = await server.request(serverStartMessage(setup), 'listening', CONTROL_TIMEOUT_MS, 'start listening');
  const bursts = new Bursts(server, setup.idleMs);
  const faults = { idleTimeoutMs: setup.idleMs, idleAction: p.idleAction };
  const proxiedPorts: Ports = {};
  for (const [kind, port] of Object.entries(listening.ports) as [ListenerKind, number][]) {
    const proxy = new FaultProxy({ targetHost: '127.0.0.1', targetPort: port, faults, onFault: bursts.onFault });
    proxiedPorts[kind] = await proxy.listen();
    processes.proxies.push(proxy);
  }

  const worker = (processes.worker = new Child<ToLabWorker, FromLabWorker>('heartbeat/labWorker.js', `client process for ${label}`));
  const started = await worker.request(
    labWorkerStartMessage(setup, proxiedPorts),
    'started',
    CONTROL_TIMEOUT_MS + p.clients * 20,
    'connect its clients',
  );
  if (started.status.failed === p.clients)
    throw runError(
      'CB_ERR_LAB_CONNECT',
      `no ${model} client could connect through the proxy`,
      'see the errors of a plain `connbench run` of this model',
    );
  return { ...setup, server, worker, proxies: processes.proxies, bursts, started: started.status };
}

/** The model's options at this interval: its heartbeat follows it (a long poll's hold, a short poll's pause). */
function modelOptionsOf(setup: IntervalSetup): unknown {
  return getModel(setup.model).labOptions(setup.intervalMs, { echo: setup.p.sseEcho });
}

/** The interval's server process: heartbeats at the scaled interval and timeout, on any free ports. */
function serverStartMessage(setup: IntervalSetup): ServerStart {
  const { intervalMs, timeoutMs, p } = setup;
  const settings: ServerSettings = {
    heartbeat: { intervalMs, timeoutMs },
    ...(p.tcpKeepAliveMs !== undefined ? { tcpKeepAliveMs: setup.scaled(p.tcpKeepAliveMs) } : {}),
  };
  const models = [{ id: setup.model, options: modelOptionsOf(setup) }];
  return { type: 'start', models, host: '127.0.0.1', ports: {}, retention: 100_000, settings };
}

/** The client process: its clients connect through the proxies and poll or check heartbeats at the scaled interval. */
function labWorkerStartMessage(setup: IntervalSetup, ports: Ports): LabWorkerStart {
  const { intervalMs, timeoutMs, p } = setup;
  return {
    type: 'start',
    model: setup.model,
    count: p.clients,
    host: '127.0.0.1',
    ports,
    heartbeat: { intervalMs, timeoutMs },
    modelOptions: modelOptionsOf(setup),
    ...(p.tcpKeepAliveMs !== undefined ? { tcpKeepAliveMs: setup.scaled(p.tcpKeepAliveMs) } : {}),
    reconnect: RECONNECT,
  };
}

async function status(lab: IntervalContext): Promise<LabWorkerStatus> {
  return (await lab.worker.request({ type: 'status' }, 'status', CONTROL_TIMEOUT_MS, 'report status')).status;
}

const sum = (proxies: FaultProxy[], f: (x: FaultProxy) => number) => proxies.reduce((a, x) => a + f(x), 0);
const openIds = (proxies: FaultProxy[]) => proxies.map((x) => new Set(x.openIds()));

/** Forking and connecting load the machine: a client that timed out meanwhile must be back before watching starts. */
async function settle(lab: IntervalContext): Promise<LabWorkerStatus> {
  const { p, intervalMs, idleMs, signal } = lab;
  const settleUntilMs = Date.now() + SETTLE_MAX_MS + p.clients * 10;
  let atStart = lab.started;
  const settled = async () => {
    atStart = await status(lab);
    return atStart.connected + atStart.failed >= p.clients;
  };
  await until(settled, settleUntilMs, signal, Math.max(20, intervalMs));
  // One heartbeat before watching: a connection the first heartbeat opens (an SSE client's echo)
  // belongs to the steady state, not to the window's reconnections. Only for an interval that can
  // survive: with a longer one the intermediary would cut connections before the window opens.
  if (intervalMs < idleMs) await sleep(Math.min(1.2 * intervalMs, 0.9 * idleMs), signal);
  throwIfAborted(signal, INTERRUPTED);
  return atStart;
}

interface Quiet {
  connections: HeartbeatIntervalResult['connections'];
  heartbeatBytes: number;
  /** How long the window lasted (real ms). */
  quietMs: number;
}

/** Nothing is published: whatever crosses the proxies is heartbeats (and reconnects). */
async function quietWindow(lab: IntervalContext): Promise<Quiet> {
  const { proxies } = lab;
  const initial = openIds(proxies);
  const bytesBefore = sum(proxies, (x) => x.stats.bytesUp + x.stats.bytesDown);
  const cutsBefore = sum(proxies, (x) => x.stats.idleCuts);
  const acceptedBefore = sum(proxies, (x) => x.stats.accepted);
  const quietStartMs = performance.now();
  await sleep(lab.scaled(lab.p.observeMs), lab.signal);
  const quietMs = performance.now() - quietStartMs;
  const after = openIds(proxies);
  const connections = {
    initial: initial.reduce((a, ids) => a + ids.size, 0),
    survived: initial.reduce((a, ids, i) => a + [...ids].filter((id) => after[i]!.has(id)).length, 0),
    idleCuts: sum(proxies, (x) => x.stats.idleCuts) - cutsBefore,
    opened: sum(proxies, (x) => x.stats.accepted) - acceptedBefore,
  };
  const heartbeatBytes = sum(proxies, (x) => x.stats.bytesUp + x.stats.bytesDown) - bytesBefore;
  throwIfAborted(lab.signal, INTERRUPTED);
  return { connections, heartbeatBytes, quietMs };
}

/** Bursts at the start, at every wave of cuts (while cut clients reconnect) and at the end: resume must bring them all. */
async function lossWindow(lab: IntervalContext): Promise<void> {
  const { bursts } = lab;
  bursts.onCut = true;
  await bursts.publish();
  await sleep(2 * Math.max(lab.idleMs, lab.intervalMs), lab.signal);
  bursts.onCut = false;
  await bursts.publish();
  await bursts.published();
  throwIfAborted(lab.signal, INTERRUPTED);
}

type Drained = Extract<FromLabWorker, { type: 'drained' }>;

/** Every client is told what it is owed (from its cursor to the last burst) and given time to have it. */
async function drain(lab: IntervalContext): Promise<Drained> {
  const { worker, server } = lab;
  const drainMs = 2 * (lab.intervalMs + lab.timeoutMs) + 2 * RECONNECT.maxDelayMs + 1000;
  const cursors = await worker.request({ type: 'cursors' }, 'cursors', CONTROL_TIMEOUT_MS, 'report cursors');
  const { counts } = await server.request(
    { type: 'expected', queries: cursors.queries, upToSeq: lab.bursts.lastSeq },
    'expected',
    CONTROL_TIMEOUT_MS,
    'count expected messages',
  );
  const drained = await worker.request(
    { type: 'drain', expected: counts, timeoutMs: drainMs },
    'drained',
    drainMs + CONTROL_TIMEOUT_MS,
    'drain',
  );
  throwIfAborted(lab.signal, INTERRUPTED);
  return drained;
}

interface Detection {
  halfOpened: number;
  connectedAtInjection: number;
  injectedAtUs: number;
  /** Monotonic µs: each side's first dead-peer record per connection, as last collected. */
  clientDetectedAtUs: number[];
  serverDetectedAtUs: number[];
}

/**
 * Every forwarding connection stops forwarding at once, telling nobody. Each side records when its
 * own heartbeat check declares the peer dead; the lab collects those records.
 */
async function halfOpen(lab: IntervalContext): Promise<Detection> {
  const { worker, server } = lab;
  const connectedAtInjection = (await status(lab)).connected;
  const injectedAtUs = nowUs();
  const injected = lab.proxies.flatMap((x) => x.halfOpen());
  let clientDetectedAtUs: number[] = [];
  let serverDetectedAtUs: number[] = [];
  const bothDetected = async () => {
    const [c, s] = await Promise.all([
      worker.request({ type: 'dead-peers', sinceUs: injectedAtUs }, 'dead-peers', CONTROL_TIMEOUT_MS, 'report dead peers'),
      server.request({ type: 'dead-peers', sinceUs: injectedAtUs }, 'dead-peers', CONTROL_TIMEOUT_MS, 'report dead peers'),
    ]);
    clientDetectedAtUs = c.atUs;
    serverDetectedAtUs = s.atUs;
    return c.atUs.length >= connectedAtInjection && s.atUs.length >= connectedAtInjection;
  };
  // Both sides' checks fire within interval + timeout (+ a sweeper tick); a side that has none never does.
  await until(bothDetected, Date.now() + 1.3 * (lab.intervalMs + lab.timeoutMs) + DETECTION_SLACK_MS, lab.signal, DETECTION_POLL_MS);
  return { halfOpened: injected.length, connectedAtInjection, injectedAtUs, clientDetectedAtUs, serverDetectedAtUs };
}

/** The server's count of dead peers and the clients' errors, over the whole interval. */
async function lastCounts(lab: IntervalContext): Promise<{ serverHeartbeatTimeouts: number; errors: Record<string, number> }> {
  const sample = await lab.server.request({ type: 'sample', gc: false }, 'sample', CONTROL_TIMEOUT_MS, 'report counters');
  const final = await status(lab);
  return { serverHeartbeatTimeouts: sample.counters.heartbeatTimeouts ?? 0, errors: final.errors };
}

interface Observed {
  atStart: LabWorkerStatus;
  quiet: Quiet;
  drained: Drained;
  detection: Detection;
  last: { serverHeartbeatTimeouts: number; errors: Record<string, number> };
}

function intervalResult(lab: IntervalContext, o: Observed): HeartbeatIntervalResult {
  const { iv, p } = lab;
  const { drained, detection: d } = o;
  const scale = p.timeScale;
  return {
    intervalMs: iv.intervalMs,
    timeoutMs: iv.timeoutMs,
    connections: o.quiet.connections,
    reconnects: drained.status.reconnects - o.atStart.reconnects,
    messages: {
      published: lab.bursts.lastSeq,
      expected: drained.result.expected,
      delivered: drained.result.delivered,
      lost: drained.result.lost,
      duplicates: drained.result.duplicates,
    },
    heartbeatBytesPerConnectionPerMinute: bytesPerClientPerMinute(o.quiet.heartbeatBytes, p.clients, o.quiet.quietMs, scale),
    detection: {
      halfOpened: d.halfOpened,
      clients: d.connectedAtInjection,
      client: detectionStats(d.clientDetectedAtUs, d.injectedAtUs, scale),
      // The server may also declare dead connections that replaced the injected ones: the earliest, one per client.
      server: detectionStats(d.serverDetectedAtUs, d.injectedAtUs, scale, d.connectedAtInjection),
    },
    serverHeartbeatTimeouts: o.last.serverHeartbeatTimeouts,
    errors: o.last.errors,
  };
}
