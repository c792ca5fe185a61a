/**
 * A client worker process: hosts a share of the simulated clients (never the runner or the
 * server), ramps them up, tracks sequences and latency, and reports over IPC.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Agent } from 'undici';
import { getModel } from '../models/index.js';
import { ClientSession, type SessionSink } from './session.js';
import { ChatSchedule, pickRecipient } from './chatSchedule.js';
import { createHistogram, encodeHistogram, initHistograms, type Histogram } from '../metrics/histogram.js';
import { forceGc, peakRssBytes, sampleProcess } from '../metrics/process.js';
import { nowUs } from '../metrics/clock.js';
import { paddingOf } from '../models/message.js';
import type { FromWorker, ToWorker, WorkerProgress, WorkerResult, WorkerStart } from '../runner/ipc.js';

const PROGRESS_EVERY_MS = 500;
const RAMP_TICK_MS = 10;

class Worker {
  private sessions: ClientSession[] = [];
  private readonly agents: Agent[] = [];
  private latency!: Histogram;
  private connect!: Histogram;
  private measureFromUs = Infinity;
  private delivered = 0;
  private connected = 0;
  private failed = 0;
  private sent = 0;
  private sendFailures = 0;
  private readonly errors: Record<string, number> = {};
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private progressTimer: NodeJS.Timeout | undefined;
  private chatTimer: NodeJS.Timeout | undefined;
  private start!: WorkerStart;

  async begin(m: WorkerStart): Promise<void> {
    this.start = m;
    await initHistograms();
    this.latency = createHistogram();
    this.connect = createHistogram();
    const model = getModel(m.model);
    const s = m.scenario;
    for (const address of m.sourceAddresses) {
      this.agents.push(new Agent({ connect: { localAddress: address }, keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000, pipelining: 1 }));
    }
    const sink: SessionSink = {
      latency: (us, _m, _at) => {
        this.delivered++;
        if (_m.t >= this.measureFromUs) this.latency.recordValue(Math.max(1, us));
      },
      connected: (connectUs, first) => {
        if (first) this.connect.recordValue(Math.max(1, connectUs));
      },
      error: (code) => {
        this.errors[code] = (this.errors[code] ?? 0) + 1;
      },
      disconnected: () => undefined,
    };
    for (let i = 0; i < m.count; i++) {
      const clientId = m.firstClientId + i;
      const a = i % m.sourceAddresses.length;
      this.sessions.push(
        new ClientSession(
          model,
          {
            clientId,
            user: `u${clientId}`,
            host: m.host,
            httpPort: m.httpPort,
            tcpPort: m.tcpPort,
            ...(m.sourceAddresses[a] !== '127.0.0.1' ? { localAddress: m.sourceAddresses[a]! } : {}),
            heartbeat: s.heartbeat,
            shortPollIntervalMs: s.shortPoll.intervalMs,
            longPollHoldMs: s.longPoll.holdMs,
            dispatcher: this.agents[a]!,
          },
          sink,
          { minDelayMs: 50, maxDelayMs: 2000, resume: s.client.resume },
        ),
      );
    }
    this.progressTimer = setInterval(() => send({ type: 'progress', progress: this.progress() }), PROGRESS_EVERY_MS);
    await this.ramp(m.rampUpMs);
    send({ type: 'ramped', progress: this.progress() });
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
          pending.push(
            this.sessions[next]!.start().then(
              () => void this.connected++,
              () => void this.failed++,
            ),
          );
        }
        if (next < n) setTimeout(tick, RAMP_TICK_MS);
        else void Promise.all(pending).then(() => resolve());
      };
      tick();
    });
  }

  measure(measureFromUs: number, chatT0Us: number, chatUntilUs: number): void {
    this.measureFromUs = measureFromUs;
    this.loopDelay.reset();
    this.loopDelay.enable();
    const s = this.start.scenario;
    if (s.workload.pattern !== 'chat') return;
    const schedule = new ChatSchedule({ ratePerUserPerSec: s.workload.ratePerSec, senders: this.sessions.length, t0Us: chatT0Us, untilUs: chatUntilUs });
    const body = paddingOf(s.workload.payloadBytes);
    const tick = () => {
      const more = schedule.due(nowUs(), (i, t) => {
        const from = this.start.firstClientId + i;
        for (let r = 0; r < s.workload.roomSize; r++) {
          const to = `u${pickRecipient(from, s.clients)}`;
          if (this.sessions[i]!.send({ to, t, body })) this.sent++;
          else this.sendFailures++;
        }
      });
      if (more) this.chatTimer = setTimeout(tick, 2);
    };
    tick();
  }

  cursors(): void {
    send({ type: 'cursors', queries: this.sessions.map((s, i) => ({ user: `u${this.start.firstClientId + i}`, afterSeq: s.tracker.startCursor })) });
  }

  async drain(expected: number[], timeoutMs: number): Promise<void> {
    if (this.chatTimer) clearTimeout(this.chatTimer);
    const deadline = Date.now() + timeoutMs;
    const caughtUp = () => this.sessions.every((s, i) => s.tracker.unique + s.tracker.gapped >= expected[i]!);
    while (!caughtUp() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.loopDelay.disable();
    let exp = 0;
    let uniq = 0;
    let lost = 0;
    const r: WorkerResult = {
      histogram: encodeHistogram(this.latency),
      connectHistogram: encodeHistogram(this.connect),
      target: this.sessions.length,
      connected: this.sessions.filter((s) => s.tracker.startCursor !== undefined).length,
      failed: this.sessions.filter((s) => s.tracker.startCursor === undefined).length,
      reconnects: 0,
      errors: this.errors,
      expected: 0,
      delivered: 0,
      lost: 0,
      duplicates: 0,
      reordered: 0,
      gapped: 0,
      sent: this.sent,
      sendFailures: this.sendFailures,
      caughtUp: caughtUp(),
      eventLoopDelayP99Ms: nsToMs(this.loopDelay.percentile(99)),
      eventLoopDelayMaxMs: nsToMs(this.loopDelay.max),
      peakRssBytes: peakRssBytes(),
    };
    this.sessions.forEach((s, i) => {
      const t = s.tracker;
      exp += expected[i]!;
      uniq += t.unique;
      lost += Math.max(0, expected[i]! - t.unique);
      r.duplicates += t.duplicates;
      r.reordered += t.reordered;
      r.gapped += t.gapped;
      r.reconnects += s.reconnects;
    });
    r.expected = exp;
    r.delivered = uniq;
    r.lost = lost;
    send({ type: 'drained', result: r });
  }

  sample(gc: boolean): void {
    if (gc) forceGc();
    send({ type: 'sample', sample: sampleProcess(this.sessions.filter((s) => s.connected).length) });
  }

  async stop(): Promise<void> {
    if (this.progressTimer) clearInterval(this.progressTimer);
    if (this.chatTimer) clearTimeout(this.chatTimer);
    await Promise.race([Promise.all(this.sessions.map((s) => s.stop())), new Promise((r) => setTimeout(r, 3000))]);
    await Promise.race([Promise.all(this.agents.map((a) => a.destroy())), new Promise((r) => setTimeout(r, 1000))]);
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
process.on('message', (m: ToWorker) => {
  const run = async () => {
    switch (m.type) {
      case 'start':
        return worker.begin(m);
      case 'measure':
        return worker.measure(m.measureFromUs, m.chatT0Us, m.chatUntilUs);
      case 'cursors':
        return worker.cursors();
      case 'drain':
        return worker.drain(m.expected, m.timeoutMs);
      case 'sample':
        return worker.sample(m.gc);
      case 'stop':
        return worker.stop();
    }
  };
  run().catch((err: unknown) => send({ type: 'error', code: (err as { code?: string })?.code ?? 'CB_ERR_WORKER', message: (err as Error)?.message ?? String(err) }));
});
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the runner decides how children stop, so ignore it here.
process.on('SIGINT', () => undefined);
