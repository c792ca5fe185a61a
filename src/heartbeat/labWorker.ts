/**
 * The heartbeat lab's client process: simulated clients of one model connected through the fault
 * proxy, each with its own HTTP connection (as a browser tab holds its own), reconnecting and
 * resuming by cursor through ClientSession like every connbench client. It reports what the lab
 * cannot see from the proxy: subscriptions, reconnects, error codes and delivery per client.
 */
import { getModel } from '../models/index.js';
import { portOf } from '../models/listeners.js';
import { ClientDispatchers } from '../client/dispatchers.js';
import { nowUs } from '../metrics/clock.js';
import { sleep } from '../util/sleep.js';
import { ClientSession, type SessionSink } from '../client/session.js';
import type { FromLabWorker, LabWorkerDrained, LabWorkerStart, LabWorkerStatus, ToLabWorker } from '../ipc/labWorker.js';
import { answerRequests, type Correlated } from '../ipc/common.js';

/** The lab's connections idle for minutes by design: undici must not close them first. */
const KEEP_IDLE_MS = 3_600_000;
const DRAIN_POLL_MS = 20;
/** The code every model's client fails with when its peer stayed silent past interval + timeout. */
const DEAD_PEER_CODE = 'CB_ERR_HEARTBEAT_TIMEOUT';

class LabWorker {
  private sessions: ClientSession[] = [];
  private dispatchers: ClientDispatchers | undefined;
  private readonly errors: Record<string, number> = {};
  /** Per client, when it declared its server dead (monotonic µs): the lab's client-side detection times. */
  private readonly deadPeerAtUs: number[][] = [];
  private failed = 0;

  async start(m: LabWorkerStart): Promise<FromLabWorker> {
    const model = getModel(m.model);
    // A browser tab's connections, as in a run: one for the poll or the event stream, a second only
    // for other requests (SSE's heartbeat echo); each kept however long it idles, TCP keep-alive as asked.
    const dispatchers = new ClientDispatchers(`http://${m.host}:${portOf(m.ports, model.listener)}`, {
      connect: m.tcpKeepAliveMs !== undefined ? { keepAlive: true, keepAliveInitialDelay: Math.max(1000, m.tcpKeepAliveMs) } : {},
      client: { keepAliveTimeout: KEEP_IDLE_MS, keepAliveMaxTimeout: KEEP_IDLE_MS, headersTimeout: 0, bodyTimeout: 0 },
    });
    this.dispatchers = dispatchers;
    for (let i = 0; i < m.count; i++) {
      const detections: number[] = [];
      this.deadPeerAtUs.push(detections);
      const sink: SessionSink = {
        latency: () => undefined,
        connected: () => undefined,
        error: (code) => {
          if (code === DEAD_PEER_CODE) detections.push(nowUs());
          this.errors[code] = (this.errors[code] ?? 0) + 1;
        },
        disconnected: () => undefined,
      };
      const options = {
        clientId: i,
        user: `u${i}`,
        host: m.host,
        port: portOf(m.ports, model.listener),
        heartbeat: m.heartbeat,
        clientsInPoint: m.count,
        modelOptions: m.modelOptions,
        ...(m.tcpKeepAliveMs !== undefined ? { tcpKeepAliveMs: m.tcpKeepAliveMs } : {}),
        dispatcher: dispatchers.forClient(model.usesDispatcher, undefined),
      };
      this.sessions.push(new ClientSession(model, options, sink, { ...m.reconnect, resume: 'cursor' }));
    }
    await Promise.all(this.sessions.map((s) => s.start().catch(() => void this.failed++)));
    return { type: 'started', status: this.status() };
  }

  status(): LabWorkerStatus {
    let connected = 0;
    let reconnects = 0;
    for (const s of this.sessions) {
      if (s.connected) connected++;
      reconnects += s.reconnects;
    }
    return { connected, failed: this.failed, reconnects, errors: { ...this.errors } };
  }

  /** Each client's first detection at or after sinceUs. */
  deadPeers(sinceUs: number): FromLabWorker {
    const atUs: number[] = [];
    for (const times of this.deadPeerAtUs) {
      const first = times.find((at) => at >= sinceUs);
      if (first !== undefined) atUs.push(first);
    }
    return { type: 'dead-peers', atUs };
  }

  cursors(): FromLabWorker {
    return { type: 'cursors', queries: this.sessions.map((s, i) => ({ user: `u${i}`, afterSeq: s.tracker.startCursor })) };
  }

  /** Waits until every client has what the server says it owes it, or the time is up. */
  async drain(expected: number[], timeoutMs: number): Promise<FromLabWorker> {
    const deadline = Date.now() + timeoutMs;
    const caughtUp = () => this.sessions.every((s, i) => s.tracker.unique + s.tracker.gapped >= expected[i]!);
    while (!caughtUp() && Date.now() < deadline) await sleep(DRAIN_POLL_MS);
    const r: LabWorkerDrained = { expected: 0, delivered: 0, lost: 0, duplicates: 0, gapped: 0, caughtUp: caughtUp() };
    this.sessions.forEach((s, i) => {
      const t = s.tracker;
      r.expected += expected[i]!;
      r.delivered += t.unique;
      r.lost += Math.max(0, expected[i]! - t.unique);
      r.duplicates += t.duplicates;
      r.gapped += t.gapped;
    });
    return { type: 'drained', result: r, status: this.status() };
  }

  async stop(): Promise<void> {
    const bounded = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise((r) => setTimeout(r, ms))]);
    await bounded(Promise.all(this.sessions.map((s) => s.stop())), 3000);
    await bounded(this.dispatchers?.destroy() ?? Promise.resolve(), 1000);
    process.exit(0);
  }
}

const worker = new LabWorker();
answerRequests<ToLabWorker & Correlated, FromLabWorker>(
  async (m) => {
    switch (m.type) {
      case 'start':
        return worker.start(m);
      case 'status':
        return { type: 'status', status: worker.status() };
      case 'cursors':
        return worker.cursors();
      case 'drain':
        return worker.drain(m.expected, m.timeoutMs);
      case 'dead-peers':
        return worker.deadPeers(m.sinceUs);
      case 'stop':
        return worker.stop();
    }
  },
  (err) => ({ code: (err as { code?: string })?.code ?? 'CB_ERR_WORKER', message: (err as Error)?.message ?? String(err) }),
);
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the lab decides how children stop.
process.on('SIGINT', () => undefined);
