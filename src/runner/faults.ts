/**
 * Scenario faults during one model run (`faults:` in the scenario), carried out by the runner at
 * their time after the start of publishing, one after another:
 *  - drop: every server process resets (RST) an exact fraction of its open connections;
 *  - stall: every server process is stopped (SIGSTOP), then continued (SIGCONT) `for` later. Nothing
 *    leaves a process stopped: an interrupted run, close() and the runner's exit all continue it;
 *  - restart: every server process hands its log, its place in the schedule and its running totals
 *    to a fresh process on the same ports, then ends (src/server/handover.ts), so cursors stay valid;
 *  - latency: fault proxies in front of every server port add latency and jitter for a while. The
 *    proxies are in the path for the whole run, so every message of such a scenario pays their hop.
 * Clients measure their own recovery (src/client/faultWatch.ts); outcomes() merges it with what the
 * runner did into `faults` on the result row.
 */
import type { Fault, Scenario } from '../scenario/schema.js';
import type { ModelId } from '../models/types.js';
import type { FromServer, ToServer } from '../ipc/server.js';
import type { ListenerKind, Ports } from '../models/listeners.js';
import type { FaultOutcome } from '../report/result.js';
import type { StormReport } from '../ipc/worker.js';
import { roundMs, summarizeStorm } from './stormRecovery.js';
import { CONTROL_TIMEOUT_MS, Child } from './child.js';
import type { ServerMember } from './serverGroup.js';
import { runError } from '../util/errors.js';

/** The server processes faults act on: each member's child, and where each listens. */
interface FaultTarget {
  readonly ports: Ports[];
  readonly members: ServerMember[];
}
import { FaultProxy } from '../proxy/faultProxy.js';
import { nowUs } from '../metrics/clock.js';
import { sleep } from '../util/sleep.js';
import { AbortScope } from './abort.js';

/** An old server gets this long to end after a SIGTERM before it is killed. */
const OLD_SERVER_GRACE_MS = 1000;

/** What the runner saw of one fault. */
interface Done {
  startedAtUs: number;
  endedAtUs: number;
  detail: Partial<FaultOutcome>;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A fault that fails is reported by settle(); never as an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class FaultRun {
  /** Where clients connect: the servers themselves, or the proxies in front of them. */
  readonly clientPorts: Ports[];
  private readonly faults: Fault[];
  private readonly s: Scenario;
  private readonly group: FaultTarget;
  private readonly modelId: ModelId;
  private readonly signal: AbortSignal | undefined;
  private readonly proxies: FaultProxy[];
  private readonly finished: Deferred[];
  private readonly done: (Done | undefined)[];
  private t0Us: number | undefined;
  /** Aborts with the run, or when close() ends the faults: no wait of theirs outlives the model run. */
  private readonly scope: AbortScope;
  /** Processes stopped by a stall that is under way. */
  private stopped: Child<ToServer, FromServer>[] = [];
  private readonly continueStopped = () => {
    for (const c of this.stopped) c.proc.kill('SIGCONT');
    this.stopped = [];
  };

  private constructor(
    s: Scenario,
    group: FaultTarget,
    modelId: ModelId,
    proxies: FaultProxy[],
    clientPorts: Ports[],
    signal?: AbortSignal,
  ) {
    this.s = s;
    this.faults = s.faults;
    this.group = group;
    this.modelId = modelId;
    this.signal = signal;
    this.proxies = proxies;
    this.clientPorts = clientPorts;
    this.finished = s.faults.map(deferred);
    this.done = s.faults.map(() => undefined);
    this.scope = new AbortScope(signal);
    if (s.faults.some((f) => f.fault === 'stall')) {
      // Whatever ends the run, a stopped server must not outlive it stopped.
      signal?.addEventListener('abort', this.continueStopped);
      process.on('exit', this.continueStopped);
    }
  }

  /**
   * Readies the faults of a scenario for a model run that has started its servers, before any client
   * connects: the proxies (latency) listen.
   */
  static async open(
    s: Scenario,
    group: FaultTarget,
    modelId: ModelId,
    signal?: AbortSignal,
    front: Ports[] = group.ports,
  ): Promise<FaultRun> {
    if (s.faults.length > 0 && group.members.length === 0) {
      throw runError('CB_ERR_FAULTS_REMOTE', 'scenario faults need the server processes this runner started; this server runs elsewhere');
    }
    const needsProxy = s.faults.some((f) => f.fault === 'latency');
    const proxies: FaultProxy[] = [];
    let ports = front;
    if (needsProxy) {
      const proxyTo = async (port: number) => {
        const p = new FaultProxy({ targetHost: '127.0.0.1', targetPort: port });
        proxies.push(p);
        return p.listen();
      };
      try {
        ports = [];
        for (const serverPorts of front) {
          const proxied: Ports = {};
          for (const [kind, port] of Object.entries(serverPorts) as [ListenerKind, number][]) proxied[kind] = await proxyTo(port);
          ports.push(proxied);
        }
      } catch (err) {
        await Promise.all(proxies.map((p) => p.close()));
        throw err;
      }
    }
    return new FaultRun(s, group, modelId, proxies, ports, signal);
  }

  /** Starts the clock: fault i strikes at t0Us + atMs, each after the one before has ended. */
  schedule(t0Us: number): void {
    this.t0Us = t0Us;
    if (this.faults.length === 0) return;
    void (async () => {
      for (const [i, f] of this.faults.entries()) {
        await sleepUntilUs(t0Us + f.atMs * 1000, this.scope.signal);
        if (this.scope.aborted) return this.finished.slice(i).forEach((d) => d.resolve());
        try {
          const startedAtUs = nowUs();
          const detail = await this.carryOut(f);
          this.done[i] = { startedAtUs, endedAtUs: nowUs(), detail };
          this.finished[i]!.resolve();
        } catch (err) {
          // The faults after a failed one are not carried out; settle() reports the failure.
          return this.finished.slice(i).forEach((d) => d.reject(err));
        }
      }
    })();
  }

  /**
   * Waits until every fault due by untilUs (default: all) has been carried out, so that the runner
   * never asks a server that a restart is replacing; rejects when one of them failed.
   */
  async settle(untilUs = Infinity): Promise<void> {
    if (this.t0Us === undefined) return;
    const t0Us = this.t0Us;
    await Promise.all(this.faults.flatMap((f, i) => (t0Us + f.atMs * 1000 <= untilUs ? [this.finished[i]!.promise] : [])));
  }

  /** Ends everything under way at once: stopped servers continue, proxies close. */
  async close(): Promise<void> {
    this.scope.end();
    this.continueStopped();
    this.signal?.removeEventListener('abort', this.continueStopped);
    process.off('exit', this.continueStopped);
    for (const d of this.finished) d.resolve();
    await Promise.all(this.proxies.map((p) => p.close()));
  }

  /** Each fault as the result reports it, from what the runner did and what the workers saw. */
  outcomes(workerReports: (StormReport[] | undefined)[]): FaultOutcome[] | undefined {
    if (this.faults.length === 0 || this.t0Us === undefined) return undefined;
    const t0Us = this.t0Us;
    return this.faults.map((f, i) => {
      const done = this.done[i];
      const reports = workerReports.flatMap((r) => (r?.[i] ? [r[i]] : []));
      return faultOutcome(f, t0Us, done, reports);
    });
  }

  private async carryOut(f: Fault): Promise<Partial<FaultOutcome>> {
    switch (f.fault) {
      case 'drop':
        return this.drop(f.fraction);
      case 'stall':
        return this.stall(f.forMs);
      case 'restart':
        return this.restart();
      case 'latency':
        return this.latency(f.latencyMs, f.jitterMs, f.forMs);
    }
  }

  private async drop(fraction: number): Promise<Partial<FaultOutcome>> {
    const replies = await Promise.all(
      this.group.members.map((m) => m.child.request({ type: 'drop', fraction }, 'dropped', CONTROL_TIMEOUT_MS, 'reset its connections')),
    );
    return {
      fraction,
      resetConnections: replies.reduce((a, r) => a + r.reset, 0),
      openConnections: replies.reduce((a, r) => a + r.open, 0),
    };
  }

  private async stall(forMs: number): Promise<Partial<FaultOutcome>> {
    this.stopped = this.group.members.map((m) => m.child);
    for (const c of this.stopped) c.proc.kill('SIGSTOP');
    const fromUs = nowUs();
    // At least the whole duration: a timer may fire a little early, and the calibration relies on it.
    await sleepUntilUs(fromUs + forMs * 1000, this.scope.signal);
    // Between these two readings the servers were certainly stopped (a reading after SIGCONT could
    // add time the runner itself waited for a core).
    const toUs = nowUs();
    this.continueStopped();
    return { faultMs: (toUs - fromUs) / 1000 };
  }

  private async restart(): Promise<Partial<FaultOutcome>> {
    const results = await Promise.all(this.group.members.map((m) => this.restartMember(m)));
    return { faultMs: Math.max(...results.map((r) => r.downMs)), logHead: results[0]!.logHead };
  }

  /** The old process hands over and ends; a fresh one listens on the same ports and carries on. */
  private async restartMember(m: ServerMember): Promise<{ downMs: number; logHead: number }> {
    const old = m.child;
    const { handover } = await old.request({ type: 'freeze' }, 'frozen', CONTROL_TIMEOUT_MS, 'hand over its message log');
    const downFromUs = nowUs();
    // No goodbye: SIGTERM ends it at once, as a crash would (nothing of it is left to say anything).
    await old.stop(undefined, OLD_SERVER_GRACE_MS);
    const fresh = new Child<ToServer, FromServer>('server/main.js', `${old.label} (restarted)`, this.signal);
    // From here on the group (and so the runner's finally) stops the fresh one, whatever happens.
    m.child = fresh;
    const listening = await fresh.request(
      { ...m.start, ports: m.ports, restore: handover },
      'listening',
      CONTROL_TIMEOUT_MS,
      'start listening again',
    );
    m.pid = listening.pid;
    return { downMs: (nowUs() - downFromUs) / 1000, logHead: handover.log.head };
  }

  private async latency(latencyMs: number, jitterMs: number, forMs: number): Promise<Partial<FaultOutcome>> {
    for (const p of this.proxies) p.setLatency(latencyMs, jitterMs);
    const fromUs = nowUs();
    await sleepUntilUs(fromUs + forMs * 1000, this.scope.signal);
    for (const p of this.proxies) p.setLatency(0, 0);
    return { latencyMs, jitterMs, faultMs: (nowUs() - fromUs) / 1000 };
  }
}

/** Sleeps until the monotonic clock reaches atUs (never wakes early), or the signal aborts. */
async function sleepUntilUs(atUs: number, signal?: AbortSignal): Promise<void> {
  for (let leftUs = atUs - nowUs(); leftUs > 0 && !signal?.aborted; leftUs = atUs - nowUs()) await sleep(Math.ceil(leftUs / 1000), signal);
}

/**
 * One fault's outcome. The clients' "all back" moment is moved to when the fault was over: a
 * client cannot be whole before its server is, and after a stall nobody dropped, yet nothing
 * scheduled during it arrived before it ended. Pure.
 */
export function faultOutcome(f: Fault, t0Us: number, done: Done | undefined, reports: StormReport[]): FaultOutcome {
  const endUs = done?.endedAtUs ?? t0Us + f.atMs * 1000;
  const recovery = summarizeStorm(
    reports.map((r) => (r.allBackAtUs === null ? r : { ...r, allBackAtUs: Math.max(r.allBackAtUs, endUs) })),
    t0Us,
  );
  const dueUs = t0Us + f.atMs * 1000;
  const startedAtUs = done?.startedAtUs ?? dueUs;
  const { faultMs, ...detail } = done?.detail ?? {};
  return {
    fault: f.fault,
    atMs: f.atMs,
    lateMs: roundMs(Math.max(0, startedAtUs - dueUs)),
    // The detail's own measure where it has one (a stall's stop to continue), else start to end.
    faultMs: faultMs !== undefined ? Math.round(faultMs * 10) / 10 : roundMs(endUs - startedAtUs),
    ...detail,
    droppedClients: recovery?.droppedClients ?? 0,
    backClients: recovery?.backClients ?? 0,
    allBackMs: recovery ? recovery.allBackMs : null,
    caughtUpMs: recovery ? recovery.caughtUpMs : null,
  };
}
