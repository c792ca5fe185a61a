/**
 * A client worker process: hosts a share of the simulated clients (never the runner or the
 * server), ramps them up, drives the workload's client side (chat sends, churn, reconnect storms),
 * tracks sequences and latency, and reports over IPC.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { ClientDispatchers } from './dispatchers.js';
import { SwappableDispatcher } from './swappableDispatcher.js';
import { WorkerTransport } from './transport.js';
import { getModel } from '../models/index.js';
import type { Model } from '../models/types.js';
import { optionsOf } from '../scenario/modelOptions.js';
import { portOf } from '../models/listeners.js';
import { originOf } from '../models/transport.js';
import { ClientSession, type ReconnectPolicy, type SessionSink } from './session.js';
import { ChatTraffic, inboxOf } from './chat.js';
import { Churn, shareOf } from './churn.js';
import { StormTracker } from './recovery.js';
import { FaultWatch } from './faultWatch.js';
import { BusyPoll } from './busyPoll.js';
import { LatencyRecorder, createHistogram, encodeHistogram, initHistograms, type Histogram } from '../metrics/histogram.js';
import { forceGc, peakRssBytes, sampleProcess } from '../metrics/process.js';
import { nowUs } from '../metrics/clock.js';
import { sleep } from '../util/sleep.js';
import { runError } from '../util/errors.js';
import type { FromWorker, ToWorker, WorkerProgress, WorkerResult, WorkerStart } from '../ipc/worker.js';
import { answerRequests, type Correlated } from '../ipc/common.js';
import { clientIdOf, serverIndexOf, socketsPerClient, sourceAddressOf } from '../topology/topology.js';
import { PROBE_AFTER, PROBE_BEFORE, probeClock } from './clockProbe.js';
import { loadLazyPackages } from '../util/lazyPackage.js';

// The runner takes the workers' memory baseline before `start`: whatever the clients may use is
// loaded first, and the histograms' WebAssembly memory is made before a sample is answered.
loadLazyPackages();
const histogramsReady = initHistograms();
// Its failure is reported by the first request that waits for it, not as an unhandled rejection at import.
histogramsReady.catch(() => undefined);

const PROGRESS_EVERY_MS = 500;
const RAMP_TICK_MS = 10;
/** How often a drain looks whether every client has caught up. */
const DRAIN_POLL_MS = 20;
/** How long a busy poll may outlast the window and the drain if the runner never ends it. */
const BUSY_POLL_SLACK_MS = 30_000;

/** What every client of a worker is built with. */
interface SharedByClients {
  model: Model;
  modelOptions: unknown;
  /** A second pooled connection only where a client sends chat over HTTP while its poll or stream holds the first. */
  poolConnections: number;
  policy: ReconnectPolicy;
  sink: SessionSink;
}

type DeliveryCounts = Pick<WorkerResult, 'reconnects' | 'expected' | 'delivered' | 'lost' | 'duplicates' | 'reordered' | 'gapped'>;

class Worker {
  private sessions: ClientSession[] = [];
  /** One set of per-client pools per server process (each listens on its own port). */
  private dispatchers: ClientDispatchers[] = [];
  /** How every client connection is opened, plain or TLS; counts and times them. */
  private transport!: WorkerTransport;
  /** Per delivery: counted in JavaScript, added to the WASM histogram when encoded (src/metrics/histogram.ts). */
  private latency!: LatencyRecorder;
  private connect!: Histogram;
  private measureFromUs = Infinity;
  private delivered = 0;
  private failed = 0;
  private readonly errors: Record<string, number> = {};
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private readonly busyPoll = new BusyPoll();
  private progressTimer: NodeJS.Timeout | undefined;
  private chat: ChatTraffic | undefined;
  private churn: Churn | undefined;
  private stormTimers: NodeJS.Timeout[] = [];
  private storm: { tracker: StormTracker; dropped: ClientSession[] } | undefined;
  /** Recovery after each scenario fault. */
  private faultWatch: FaultWatch | undefined;
  private start!: WorkerStart;
  /** Each client's start cursor as reported to the runner; undefined = not subscribed yet then. */
  private reportedCursors: (number | undefined)[] = [];
  /**
   * Server clock − this host's clock, added to every receive time: 0 on one host (one clock), the
   * estimate before the window with a server on another host (WorkerStart.clock).
   */
  private offsetUs = 0;
  /** The server's clock now, as this worker knows it: every time the runner sends is in it. */
  private readonly serverNowUs = () => nowUs() + this.offsetUs;

  async begin(m: WorkerStart): Promise<FromWorker> {
    this.start = m;
    await histogramsReady;
    this.latency = new LatencyRecorder();
    this.connect = createHistogram();
    const model = getModel(m.model);
    const s = m.scenario;
    // A connection that has not carried data within the heartbeat timeout is as dead as a silent one.
    const transport = new WorkerTransport(m.tls, s.heartbeat.timeoutMs);
    this.transport = transport;
    this.dispatchers = m.servers.map(
      (ports) =>
        new ClientDispatchers(originOf('http', transport.secure, m.host, portOf(ports, model.listener)), {
          connector: transport.connector,
        }),
    );
    const shared: SharedByClients = {
      model,
      modelOptions: optionsOf(model, s),
      poolConnections: socketsPerClient(s),
      policy: { minDelayMs: s.client.reconnect.minDelayMs, maxDelayMs: s.client.reconnect.maxDelayMs, resume: s.client.resume },
      sink: this.sessionSink(),
    };
    for (let i = 0; i < m.count; i++) this.sessions.push(this.createSession(clientIdOf(m, i), shared));
    this.progressTimer = setInterval(() => send({ type: 'progress', progress: this.progress() }), PROGRESS_EVERY_MS);
    await this.ramp(m.rampUpMs);
    return { type: 'ramped', progress: this.progress() };
  }

  /** Where every session's deliveries, connects and errors are counted. */
  private sessionSink(): SessionSink {
    return {
      latency: (us, msg, atUs) => {
        this.delivered++;
        if (msg.t >= this.measureFromUs) this.latency.recordValue(Math.max(1, us + this.offsetUs));
        this.storm?.tracker.arrival(msg.t, atUs + this.offsetUs);
        this.faultWatch?.arrival(msg.t, atUs + this.offsetUs);
      },
      connected: (connectUs, first) => {
        if (first) this.connect.recordValue(Math.max(1, connectUs));
      },
      error: (code) => {
        this.errors[code] = (this.errors[code] ?? 0) + 1;
      },
      disconnected: () => undefined,
    };
  }

  /** Client clientId, on its server and its source address, through its own pooled dispatcher. */
  private createSession(clientId: number, shared: SharedByClients): ClientSession {
    const m = this.start;
    const s = m.scenario;
    const { model } = shared;
    const serverIndex = serverIndexOf(clientId, m.servers.length);
    const pools = this.dispatchers[serverIndex]!;
    const address = sourceAddressOf(clientId, m.servers.length, m.sourceAddresses);
    const localAddress = address !== '127.0.0.1' ? address : undefined;
    // Its own TLS session, on its own connections and on those undici opens for it.
    const transport = this.transport.forClient();
    const dispatcher: Dispatcher = model.usesDispatcher
      ? new SwappableDispatcher(() => pools.forClient(true, localAddress, shared.poolConnections, transport.connector))
      : pools.forClient(false, undefined);
    return new ClientSession(
      model,
      {
        clientId,
        // In rooms every member reads the room's address; direct messages address the user.
        user: inboxOf(clientId, s.workload.pattern === 'chat' ? s.workload.roomSize : 1),
        host: m.host,
        port: portOf(m.servers[serverIndex]!, model.listener),
        ...(localAddress ? { localAddress } : {}),
        transport,
        heartbeat: s.heartbeat,
        dispatcher,
        clientsInPoint: s.clients,
        modelOptions: shared.modelOptions,
      },
      shared.sink,
      shared.policy,
    );
  }

  /** Starts client i at i × rampUp / count, from one ticking timer rather than a timer per client. */
  private ramp(rampUpMs: number): Promise<void> {
    const n = this.sessions.length;
    const t0 = Date.now();
    let next = 0;
    const pending: Promise<void>[] = [];
    return new Promise((resolve) => {
      const tick = () => {
        const due = rampUpMs <= 0 ? n : Math.min(n, Math.floor(((Date.now() - t0) / rampUpMs) * n) + 1);
        for (; next < due; next++) {
          pending.push(this.sessions[next]!.start().catch(() => void this.failed++));
        }
        if (next < n) setTimeout(tick, RAMP_TICK_MS);
        else void Promise.all(pending).then(() => resolve());
      };
      tick();
    });
  }

  /** Messages start flowing at t0Us (warmup), are measured from measureFromUs, and stop at untilUs. */
  measure(measureFromUs: number, t0Us: number, untilUs: number): void {
    this.measureFromUs = measureFromUs;
    this.loopDelay.reset();
    this.loopDelay.enable();
    const s = this.start.scenario;
    if (s.client.busyPoll) this.busyPoll.start((untilUs - this.serverNowUs()) / 1000 + s.drainTimeoutMs + BUSY_POLL_SLACK_MS);
    const w = s.workload;
    if (w.pattern === 'chat') {
      this.chat = new ChatTraffic(
        {
          firstClientId: this.start.firstClientId,
          ...(this.start.stride ? { stride: this.start.stride } : {}),
          now: this.serverNowUs,
          totalUsers: s.clients,
          ratePerUserPerSec: w.ratePerSec,
          roomSize: w.roomSize,
          payloadBytes: w.payloadBytes,
          t0Us,
          untilUs,
        },
        this.sessions,
      );
      this.chat.start();
    }
    if (s.churnPerSec > 0) {
      const ratePerSec = shareOf(s.churnPerSec, this.sessions.length, s.clients);
      this.churn = new Churn({ ratePerSec, t0Us, untilUs, now: this.serverNowUs }, this.sessions);
      this.churn.start();
    }
    for (const a of s.actions) {
      const atUs = t0Us + a.atMs * 1000;
      this.stormTimers.push(setTimeout(() => this.reconnectStorm(atUs), Math.max(0, (atUs - this.serverNowUs()) / 1000)));
    }
    if (s.faults.length > 0) {
      this.faultWatch = new FaultWatch(this.sessions);
      this.faultWatch.schedule(s.faults.map((f) => t0Us + f.atMs * 1000));
    }
  }

  /** Every connection of this worker drops at once; each client reconnects on its own backoff. */
  private reconnectStorm(atUs: number): void {
    const dropped = this.sessions.filter((s) => s.everSubscribed);
    this.storm = { tracker: new StormTracker(atUs), dropped };
    for (const s of dropped) s.awaitBack();
    for (const s of dropped) s.drop();
  }

  /** Sends what is still due, then reports each client's start cursor and what this worker's users sent. */
  cursors(): FromWorker {
    this.chat?.finish();
    this.churn?.stop();
    this.reportedCursors = this.sessions.map((s) => s.tracker.startCursor);
    // No user: the server counts broadcasts only; chat messages are owed from what senders sent.
    return {
      type: 'cursors',
      queries: this.reportedCursors.map((afterSeq) => ({ afterSeq })),
      ...(this.chat ? { sentByInbox: this.chat.sentByInbox } : {}),
    };
  }

  async drain(
    expectedBroadcast: number[],
    owedByInbox: Record<string, number> | undefined,
    timeoutMs: number,
    lastSeq?: number,
  ): Promise<FromWorker> {
    this.chat?.stop();
    this.churn?.stop();
    let expected = this.owedPerClient(expectedBroadcast, owedByInbox, lastSeq);
    const deadline = Date.now() + timeoutMs;
    while (!this.caughtUp(expected, lastSeq) && Date.now() < deadline) {
      await sleep(DRAIN_POLL_MS);
      // A late client may subscribe while the drain waits.
      expected = this.owedPerClient(expectedBroadcast, owedByInbox, lastSeq);
    }
    this.loopDelay.disable();
    this.busyPoll.stop();
    return { type: 'drained', result: this.result(expected, this.caughtUp(expected, lastSeq)) };
  }

  /** Messages each client is owed: broadcasts from the server's count (or its own late cursor) plus chat sent to its inbox. */
  private owedPerClient(
    expectedBroadcast: number[],
    owedByInbox: Record<string, number> | undefined,
    lastSeq: number | undefined,
  ): number[] {
    const workload = this.start.scenario.workload;
    const roomSize = workload.pattern === 'chat' ? workload.roomSize : 1;
    // A client that never subscribed is counted as failed, not owed anything. One whose first
    // connect failed and whose retry subscribed only after its cursor was reported (a slow 50,000
    // client ramp) is owed every broadcast after the cursor it got: known here, not to the server.
    const lateBroadcast = (s: ClientSession, i: number) =>
      this.reportedCursors[i] === undefined && s.tracker.startCursor !== undefined && lastSeq !== undefined && workload.pattern !== 'chat'
        ? Math.max(0, lastSeq - s.tracker.startCursor)
        : expectedBroadcast[i]!;
    return this.sessions.map((s, i) =>
      s.everSubscribed ? lateBroadcast(s, i) + (owedByInbox?.[inboxOf(clientIdOf(this.start, i), roomSize)] ?? 0) : 0,
    );
  }

  /** Every client that ever subscribed is connected and has had what it is owed. */
  private caughtUp(expected: number[], lastSeq: number | undefined): boolean {
    // resume: none never gets back what a reconnect skipped: such a client is done once it has seen the last message.
    const skipsGaps = this.start.scenario.client.resume === 'none' && lastSeq !== undefined;
    return this.sessions.every(
      (s, i) =>
        (s.tracker.unique + s.tracker.gapped >= expected[i]! || (skipsGaps && (s.tracker.cursor ?? 0) >= lastSeq)) &&
        (s.connected || !s.everSubscribed),
    );
  }

  /** What this worker reports when the drain ends. */
  private result(expected: number[], caughtUp: boolean): WorkerResult {
    const d = this.deliveries(expected);
    const r: WorkerResult = {
      histogram: encodeHistogram(this.latency),
      connectHistogram: encodeHistogram(this.connect),
      target: this.sessions.length,
      connected: this.sessions.filter((s) => s.everSubscribed).length,
      failed: this.sessions.filter((s) => !s.everSubscribed).length,
      reconnects: d.reconnects,
      errors: this.errors,
      expected: d.expected,
      delivered: d.delivered,
      lost: d.lost,
      duplicates: d.duplicates,
      reordered: d.reordered,
      gapped: d.gapped,
      sent: this.chat?.sent ?? 0,
      sendFailures: this.errors.CB_ERR_OUTBOX_FULL ?? 0,
      caughtUp,
      eventLoopDelayP99Ms: nsToMs(this.loopDelay.percentile(99)),
      eventLoopDelayMaxMs: nsToMs(this.loopDelay.max),
      peakRssBytes: peakRssBytes(),
      churned: this.churn?.closed ?? 0,
      transport: this.transport.report(),
    };
    // Back times are this host's clock; the storm's time and the arrivals are the server's.
    const backAt = (c: ClientSession) => ({ backAtUs: typeof c.backAtUs === 'number' ? c.backAtUs + this.offsetUs : c.backAtUs });
    if (this.storm) r.storm = this.storm.tracker.report(this.storm.dropped.map(backAt));
    if (this.faultWatch) r.faults = this.faultWatch.finish();
    return r;
  }

  /** The clients' trackers summed against what each was owed. */
  private deliveries(expected: number[]): DeliveryCounts {
    const d: DeliveryCounts = { reconnects: 0, expected: 0, delivered: 0, lost: 0, duplicates: 0, reordered: 0, gapped: 0 };
    this.sessions.forEach((s, i) => {
      const t = s.tracker;
      d.expected += expected[i]!;
      d.delivered += t.unique;
      d.lost += Math.max(0, expected[i]! - t.unique);
      // More unique messages than were ever sent to it: delivered twice under two seqs.
      d.duplicates += t.duplicates + Math.max(0, t.unique - expected[i]!);
      d.reordered += t.reordered;
      d.gapped += t.gapped;
      d.reconnects += s.reconnects;
    });
    return d;
  }

  /** The offset to the server's clock (see offsetUs); `apply`: use it for every receive time from now on. */
  async clock(apply: boolean): Promise<FromWorker> {
    const target = this.start?.clock;
    if (!target) throw runError('CB_ERR_WORKER_PROTOCOL', 'asked for a clock offset, but "start" named no server clock');
    const estimate = await probeClock(target.url, target.token, apply ? PROBE_BEFORE : PROBE_AFTER);
    if (apply) this.offsetUs = estimate.offsetUs;
    return { type: 'clock', estimate };
  }

  async sample(gc: boolean): Promise<FromWorker> {
    await histogramsReady;
    if (gc) forceGc();
    return {
      type: 'sample',
      sample: sampleProcess(this.sessions.filter((s) => s.connected).length),
      connectionsOpened: this.transport?.connectionsOpened ?? 0,
    };
  }

  async stop(): Promise<void> {
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.busyPoll.stop();
    this.chat?.stop();
    this.churn?.stop();
    for (const t of this.stormTimers) clearTimeout(t);
    this.faultWatch?.stop();
    await Promise.race([Promise.all(this.sessions.map((s) => s.stop())), new Promise((r) => setTimeout(r, 3000))]);
    await Promise.race([Promise.all(this.dispatchers.map((d) => d.destroy())), new Promise((r) => setTimeout(r, 1000))]);
    process.exit(0);
  }

  private progress(): WorkerProgress {
    let connectedNow = 0;
    let reconnects = 0;
    for (const s of this.sessions) {
      if (s.connected) connectedNow++;
      reconnects += s.reconnects;
    }
    return { connected: connectedNow, failed: this.failed, delivered: this.delivered, reconnects };
  }
}

function nsToMs(ns: number): number {
  return Number.isFinite(ns) ? Math.round(ns / 1000) / 1000 : 0;
}

function send(m: FromWorker): void {
  process.send?.(m);
}

const worker = new Worker();
answerRequests<ToWorker & Correlated, FromWorker>(
  async (m) => {
    switch (m.type) {
      case 'start':
        return worker.begin(m);
      case 'measure':
        return void worker.measure(m.measureFromUs, m.chatT0Us, m.chatUntilUs);
      case 'cursors':
        return worker.cursors();
      case 'drain':
        return worker.drain(m.expected, m.owedByInbox, m.timeoutMs, m.lastSeq);
      case 'sample':
        return worker.sample(m.gc);
      case 'clock':
        return worker.clock(m.apply);
      case 'stop':
        return worker.stop();
    }
  },
  (err) => ({ code: (err as { code?: string })?.code ?? 'CB_ERR_WORKER', message: (err as Error)?.message ?? String(err) }),
);
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the runner decides how children stop, so ignore it here.
process.on('SIGINT', () => undefined);
