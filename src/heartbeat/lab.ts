import type { ModelId, ServerSettings } from '../models/types.js';
import { getModel } from '../models/index.js';
import type { ListenerKind, Ports } from '../models/listeners.js';
import type { FromLabWorker, LabWorkerStatus, ToLabWorker } from '../ipc/labWorker.js';
import type { FromServer, ToServer } from '../ipc/server.js';
import { Child } from '../runner/child.js';
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

const CONTROL_TIMEOUT_MS = 30_000;
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

async function until(cond: () => boolean | Promise<boolean>, deadlineMs: number, signal?: AbortSignal, everyMs = 10): Promise<void> {
  while (!(await cond()) && Date.now() < deadlineMs && !signal?.aborted) await sleep(everyMs, signal);
}

/**
 * Sweeps heartbeat intervals for each model through a fault proxy that behaves like the chosen
 * intermediary. Per interval: a fresh server process, a proxy in front of its listener and a
 * client process; then a quiet window (survival, heartbeat bytes), a window with bursts published
 * at every cut (loss across reconnects), a drain, and a half-open injection (dead-peer detection).
 */
export async function runHeartbeatLab(o: LabOptions): Promise<HeartbeatResult> {
  const p = o.plan;
  const result: HeartbeatResult = {
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

/** One model at one interval, with every duration divided by the time scale. */
async function runInterval(model: ModelId, iv: LabInterval, p: LabPlan, signal?: AbortSignal): Promise<HeartbeatIntervalResult> {
  const scale = p.timeScale;
  // Whole milliseconds: these travel in query strings and timers.
  const scaled = (ms: number) => Math.max(1, Math.round(ms / scale));
  const intervalMs = scaled(iv.intervalMs);
  const timeoutMs = scaled(iv.timeoutMs);
  const idleMs = scaled(p.idleTimeoutMs);
  const label = `${model} at ${formatDurationMs(iv.intervalMs)}`;
  let server: ServerChild | undefined;
  let worker: WorkerChild | undefined;
  const proxies: FaultProxy[] = [];
  try {
    server = new Child<ToServer, FromServer>('server/main.js', `server process for ${label}`);
    const settings: ServerSettings = {
      heartbeat: { intervalMs, timeoutMs },
      ...(p.tcpKeepAliveMs !== undefined ? { tcpKeepAliveMs: scaled(p.tcpKeepAliveMs) } : {}),
    };
    // The model's heartbeat follows the interval (a long poll's hold, a short poll's pause).
    const modelOptions = getModel(model).labOptions(intervalMs, { echo: p.sseEcho });
    const listening = await server.request(
      { type: 'start', models: [{ id: model, options: modelOptions }], host: '127.0.0.1', ports: {}, retention: 100_000, settings },
      'listening',
      CONTROL_TIMEOUT_MS,
      'start listening',
    );

    // Bursts go out one at a time: a reply of the same type answers every request waiting for it.
    let lastSeq = 0;
    let bursts = Promise.resolve();
    let burstOnCut = false;
    let lastBurstMs = 0;
    const burst = () => {
      lastBurstMs = Date.now();
      bursts = bursts.then(async () => {
        const m = await server!.request(
          { type: 'stop-publish', burst: BURST_MESSAGES, payloadBytes: BURST_PAYLOAD_BYTES },
          'published',
          CONTROL_TIMEOUT_MS,
          'publish a burst',
        );
        lastSeq = Math.max(lastSeq, m.lastSeq);
      });
      return bursts;
    };
    const onFault = (rec: ConnectionRecord) => {
      // One burst per wave of cuts: connections opened together idle out together.
      if (burstOnCut && rec.fault?.kind.startsWith('idle') && Date.now() - lastBurstMs > idleMs / 4) void burst().catch(() => undefined);
    };
    const faults = { idleTimeoutMs: idleMs, idleAction: p.idleAction };
    // A proxy in front of every listener the server opened: the clients reach it only through them.
    const proxiedPorts: Ports = {};
    for (const [kind, port] of Object.entries(listening.ports) as [ListenerKind, number][]) {
      const proxy = new FaultProxy({ targetHost: '127.0.0.1', targetPort: port, faults, onFault });
      proxiedPorts[kind] = await proxy.listen();
      proxies.push(proxy);
    }
    const sum = (f: (x: FaultProxy) => number) => proxies.reduce((a, x) => a + f(x), 0);
    const openIds = () => proxies.map((x) => new Set(x.openIds()));

    worker = new Child<ToLabWorker, FromLabWorker>('heartbeat/labWorker.js', `client process for ${label}`);
    const started = await worker.request(
      {
        type: 'start',
        model,
        count: p.clients,
        host: '127.0.0.1',
        ports: proxiedPorts,
        heartbeat: { intervalMs, timeoutMs },
        modelOptions,
        ...(p.tcpKeepAliveMs !== undefined ? { tcpKeepAliveMs: scaled(p.tcpKeepAliveMs) } : {}),
        reconnect: RECONNECT,
      },
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
    const status = async (): Promise<LabWorkerStatus> =>
      (await worker!.request({ type: 'status' }, 'status', CONTROL_TIMEOUT_MS, 'report status')).status;

    // Settle: forking and connecting load the machine; a client that timed out meanwhile must be back first.
    const settleUntilMs = Date.now() + SETTLE_MAX_MS + p.clients * 10;
    let atStart = started.status;
    const settled = async () => {
      atStart = await status();
      return atStart.connected + atStart.failed >= p.clients;
    };
    await until(settled, settleUntilMs, signal, Math.max(20, intervalMs));
    // One heartbeat before watching: a connection the first heartbeat opens (an SSE client's echo)
    // belongs to the steady state, not to the window's reconnections. Only for an interval that can
    // survive: with a longer one the intermediary would cut connections before the window opens.
    if (intervalMs < idleMs) await sleep(Math.min(1.2 * intervalMs, 0.9 * idleMs), signal);
    checkAbort(signal);

    // 1. Quiet: nothing is published; whatever crosses the proxy is heartbeats (and reconnects).
    const initial = openIds();
    const bytesBefore = sum((x) => x.stats.bytesUp + x.stats.bytesDown);
    const cutsBefore = sum((x) => x.stats.idleCuts);
    const acceptedBefore = sum((x) => x.stats.accepted);
    const quietStartMs = performance.now();
    await sleep(scaled(p.observeMs), signal);
    const quietMs = performance.now() - quietStartMs;
    const after = openIds();
    const connections = {
      initial: initial.reduce((a, ids) => a + ids.size, 0),
      survived: initial.reduce((a, ids, i) => a + [...ids].filter((id) => after[i]!.has(id)).length, 0),
      idleCuts: sum((x) => x.stats.idleCuts) - cutsBefore,
      opened: sum((x) => x.stats.accepted) - acceptedBefore,
    };
    const heartbeatBytes = sum((x) => x.stats.bytesUp + x.stats.bytesDown) - bytesBefore;
    checkAbort(signal);

    // 2. Loss: bursts at the start, at every wave of cuts (while cut clients reconnect) and at the end.
    burstOnCut = true;
    await burst();
    await sleep(2 * Math.max(idleMs, intervalMs), signal);
    burstOnCut = false;
    await burst();
    await bursts;
    checkAbort(signal);
    const drainMs = 2 * (intervalMs + timeoutMs) + 2 * RECONNECT.maxDelayMs + 1000;
    const cursors = await worker.request({ type: 'cursors' }, 'cursors', CONTROL_TIMEOUT_MS, 'report cursors');
    const { counts } = await server.request(
      { type: 'expected', queries: cursors.queries, upToSeq: lastSeq },
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
    checkAbort(signal);

    // 3. Half-open: every forwarding connection stops forwarding at once, telling nobody. Each side
    // records when its own heartbeat check declares the peer dead; the lab collects those records.
    const connectedAtInjection = (await status()).connected;
    const injectedAtUs = nowUs();
    const injected = proxies.flatMap((x) => x.halfOpen());
    let clientDetectedAtUs: number[] = [];
    let serverDetectedAtUs: number[] = [];
    const bothDetected = async () => {
      const [c, s] = await Promise.all([
        worker!.request({ type: 'dead-peers', sinceUs: injectedAtUs }, 'dead-peers', CONTROL_TIMEOUT_MS, 'report dead peers'),
        server!.request({ type: 'dead-peers', sinceUs: injectedAtUs }, 'dead-peers', CONTROL_TIMEOUT_MS, 'report dead peers'),
      ]);
      clientDetectedAtUs = c.atUs;
      serverDetectedAtUs = s.atUs;
      return c.atUs.length >= connectedAtInjection && s.atUs.length >= connectedAtInjection;
    };
    // Both sides' checks fire within interval + timeout (+ a sweeper tick); a side that has none never does.
    await until(bothDetected, Date.now() + 1.3 * (intervalMs + timeoutMs) + DETECTION_SLACK_MS, signal, DETECTION_POLL_MS);
    const sample = await server.request({ type: 'sample', gc: false }, 'sample', CONTROL_TIMEOUT_MS, 'report counters');
    const final = await status();

    return {
      intervalMs: iv.intervalMs,
      timeoutMs: iv.timeoutMs,
      connections,
      reconnects: drained.status.reconnects - atStart.reconnects,
      messages: {
        published: lastSeq,
        expected: drained.result.expected,
        delivered: drained.result.delivered,
        lost: drained.result.lost,
        duplicates: drained.result.duplicates,
      },
      heartbeatBytesPerConnectionPerMinute: bytesPerClientPerMinute(heartbeatBytes, p.clients, quietMs, scale),
      detection: {
        halfOpened: injected.length,
        clients: connectedAtInjection,
        client: detectionStats(clientDetectedAtUs, injectedAtUs, scale),
        // The server may also declare dead connections that replaced the injected ones: the earliest, one per client.
        server: detectionStats(serverDetectedAtUs, injectedAtUs, scale, connectedAtInjection),
      },
      serverHeartbeatTimeouts: sample.counters.heartbeatTimeouts ?? 0,
      errors: final.errors,
    };
  } finally {
    await Promise.all([worker?.stop({ type: 'stop' }), server?.stop({ type: 'shutdown' })]);
    await Promise.all(proxies.map((x) => x.close()));
  }
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw runError('CB_ERR_INTERRUPTED', 'the heartbeat lab was interrupted');
}
