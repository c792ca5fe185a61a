import type { Scenario } from '../scenario/schema.js';
import type { ModelId, ServerSettings } from '../models/types.js';
import type { ExpectedQuery, PublishTimes } from '../ipc/common.js';
import type { FromServer, ServerHandover, ServerStart, ToServer } from '../ipc/server.js';
import type { ListenerTls, Ports } from '../models/listeners.js';
import { getModel } from '../models/index.js';
import { optionsOf } from '../scenario/modelOptions.js';
import type { ProcessUsage } from '../report/result.js';
import { CONTROL_TIMEOUT_MS, Child } from './child.js';
import { clientIdOf, serverIndexOf, type ClientRange } from '../topology/topology.js';
import { isAlive } from './processUsage.js';
import { runError } from '../util/errors.js';

type ServerChild = Child<ToServer, FromServer>;
export type ServerSample = Extract<FromServer, { type: 'sample' }>;

/** What every model's server reads, from the scenario; the model's own settings travel as its options. */
export function serverSettingsOf(s: Scenario): ServerSettings {
  return { heartbeat: s.heartbeat, slowReaderQueueBytes: s.server.slowReaderQueueBytes, stallTimeoutMs: s.server.stallTimeoutMs };
}

/**
 * The `start` message of one server process of a model run: on `ports` (none: any free port) of
 * `listen.host` (127.0.0.1), with TLS when `listen.tls`, carrying on from `restore` after a restart fault.
 */
export function startMessageOf(
  s: Scenario,
  modelId: ModelId,
  ports: Ports = {},
  restore?: ServerHandover,
  listen: { host?: string; tls?: ListenerTls } = {},
): ServerStart {
  return {
    type: 'start',
    models: [{ id: modelId, options: optionsOf(getModel(modelId), s) }],
    host: listen.host ?? '127.0.0.1',
    ports,
    retention: s.server.retention,
    settings: serverSettingsOf(s),
    ...(listen.tls ? { tls: listen.tls } : {}),
    ...(restore ? { restore } : {}),
  };
}

/** How a group's processes listen: on which host and ports (none: any free ones), with TLS or not. */
export interface ServerListening {
  host?: string;
  portsOf?: (index: number) => Ports;
  tls?: ListenerTls;
}

/** One reference server process of a group: its child, where it listens, and what it has reported. */
export interface ServerMember {
  index: number;
  child: ServerChild;
  /** Where it listens, by listener kind. */
  ports: Ports;
  /** What it was started with: a restart fault's replacement starts the same way, on the same ports. */
  start: ServerStart;
  pid: number;
  /** The most connections it held at any sample; its peak RSS and accepts as last reported. */
  openSocketsMax: number;
  peakRssBytes: number;
  acceptedBySourceAddress: Record<string, number>;
}

/**
 * The reference server of one model run, as one or several processes (`server.processes`).
 *
 * Several processes, each listening on its own ports, rather than one listener shared through node
 * cluster: Node 20 has no SO_REUSEPORT, and cluster's default on Linux has the primary accept
 * every connection and pass it over IPC (a bottleneck in a connect storm, and a process whose
 * sockets the measurement would have to leave out), while its shared-handle mode lets the kernel
 * deal connections out unevenly. Own ports deal exactly clients / N to each process (client c goes
 * to process serverIndexOf(c, N)), reuse the runner's typed IPC per process, and let each process
 * answer the expected counts of its own clients.
 *
 * Sequence numbers stay global without any traffic between the processes: each has its own log,
 * and each runs the same publisher from the same t0 and rate (src/server/publisher.ts), so message
 * k and its scheduled time are the same in every process; the stop publishes every message due
 * before the same instant everywhere and any burst appends the same count, so every log ends at
 * the same head (checked: a difference fails the run). Chat would need a relay between processes
 * and is refused by planRun.
 */
export class ServerGroup {
  readonly members: ServerMember[];

  private constructor(members: ServerMember[]) {
    this.members = members;
  }

  /**
   * Forks `processes` server processes and waits until each listens on its own ports: on `at.host`
   * (127.0.0.1), process k on `at.portsOf(k)` (none: any free port), with TLS when `at.tls`.
   */
  static async start(s: Scenario, modelId: ModelId, signal?: AbortSignal, at: ServerListening = {}): Promise<ServerGroup> {
    const n = s.server.processes;
    const children: ServerChild[] = [];
    try {
      const members = await Promise.all(
        Array.from({ length: n }, async (_, index) => {
          const label = n === 1 ? `server process for ${modelId}` : `server process ${index + 1}/${n} for ${modelId}`;
          const child = new Child<ToServer, FromServer>('server/main.js', label, signal);
          children.push(child);
          const start = startMessageOf(s, modelId, at.portsOf?.(index) ?? {}, undefined, at);
          const listened = await child.request(start, 'listening', CONTROL_TIMEOUT_MS, 'start listening');
          const member: ServerMember = {
            index,
            child,
            ports: listened.ports,
            start,
            pid: listened.pid,
            openSocketsMax: 0,
            peakRssBytes: 0,
            acceptedBySourceAddress: {},
          };
          return member;
        }),
      );
      return new ServerGroup(members);
    } catch (err) {
      await Promise.all(children.map((c) => c.stop({ type: 'shutdown' })));
      throw err;
    }
  }

  /** Each process's ports, in member order. */
  get ports(): Ports[] {
    return this.members.map((m) => m.ports);
  }

  /** One sample per process, in member order; each also updates that member's usage. */
  async sample(gc: boolean): Promise<ServerSample[]> {
    return Promise.all(
      this.members.map(async (m) => {
        const r = await m.child.request({ type: 'sample', gc }, 'sample', CONTROL_TIMEOUT_MS, 'report a sample');
        this.note(m, r);
        return r;
      }),
    );
  }

  /** After a failure: samples every process that still answers within timeoutMs; the others keep what they last reported. */
  async sampleSurvivors(timeoutMs: number): Promise<void> {
    await Promise.allSettled(
      this.members.map(async (m) => {
        if (isAlive(m.child)) this.note(m, await m.child.request({ type: 'sample', gc: false }, 'sample', timeoutMs, 'report a sample'));
      }),
    );
  }

  /** Every process starts the same schedule: message k is due at t0Us + k / rate everywhere, the last one before untilUs. */
  publish(ratePerSec: number, payloadBytes: number, t0Us: number, untilUs: number, recordLagFromUs: number): void {
    for (const m of this.members) m.child.send({ type: 'publish', ratePerSec, payloadBytes, t0Us, untilUs, recordLagFromUs });
  }

  /** Every process's publisher lateness and handoff (encoded histograms), from those that published on a schedule. */
  async publishTimes(): Promise<PublishTimes> {
    const replies = await Promise.all(
      this.members.map((x) =>
        x.child.request({ type: 'publish-times' }, 'publish-times', CONTROL_TIMEOUT_MS, 'report its publisher lateness and handoff'),
      ),
    );
    return {
      lags: replies.flatMap((r) => (r.lag ? [r.lag] : [])),
      handoffs: replies.flatMap((r) => (r.handoff ? [r.handoff] : [])),
    };
  }

  /** Stops every publisher at the same scheduled instant (what is due before untilUs goes out first); resolves with the log head. */
  stopPublishing(untilUs: number): Promise<number> {
    return this.agreedHead({ type: 'stop-publishing', untilUs }, 'stop publishing');
  }

  /** Appends `count` messages at once in every process; resolves with the log head. */
  burst(count: number, payloadBytes: number): Promise<number> {
    return this.agreedHead({ type: 'burst', count, payloadBytes }, 'publish a burst');
  }

  /** The log head now. */
  head(): Promise<number> {
    return this.agreedHead({ type: 'head' }, 'report the log head');
  }

  /** Asks every process; the heads must agree, or sequence numbers are not global. */
  private async agreedHead(m: ToServer, what: string): Promise<number> {
    const replies = await Promise.all(this.members.map((x) => x.child.request(m, 'head', CONTROL_TIMEOUT_MS, what)));
    const heads = replies.map((r) => r.lastSeq);
    if (heads.some((h) => h !== heads[0])) {
      throw runError(
        'CB_ERR_SEQ_DIVERGED',
        `the server processes ended at different sequence numbers (${heads.join(', ')}): their logs no longer agree, so loss cannot be counted`,
        'run with server.processes: 1 and report this as a bug',
      );
    }
    return heads[0]!;
  }

  /**
   * Expected messages per client of every worker, each asked of the process that client connected
   * to: `workers[w].queries[i]` belongs to the i-th client of worker w's range (clientIdOf). One request per
   * process for all workers at once, so a process counts each of its clients in one pass.
   */
  async expected(
    workers: ({ queries: ExpectedQuery[] } & Pick<ClientRange, 'firstClientId' | 'stride'>)[],
    upToSeq: number,
  ): Promise<number[][]> {
    const n = this.members.length;
    const byServer = this.members.map(() => ({ at: [] as [worker: number, index: number][], queries: [] as ExpectedQuery[] }));
    workers.forEach((w, wi) =>
      w.queries.forEach((q, i) => {
        const mine = byServer[serverIndexOf(clientIdOf(w, i), n)]!;
        mine.at.push([wi, i]);
        mine.queries.push(q);
      }),
    );
    const counts = workers.map((w) => new Array<number>(w.queries.length).fill(0));
    await Promise.all(
      this.members.map(async (m, k) => {
        const part = byServer[k]!;
        if (part.queries.length === 0) return;
        const r = await m.child.request(
          { type: 'expected', queries: part.queries, upToSeq },
          'expected',
          CONTROL_TIMEOUT_MS,
          'count expected messages',
        );
        if (r.counts.length !== part.queries.length) {
          throw runError(
            'CB_ERR_SERVER',
            `${m.child.label} answered ${r.counts.length} expected counts for ${part.queries.length} clients`,
          );
        }
        r.counts.forEach((c, j) => {
          const [wi, i] = part.at[j]!;
          counts[wi]![i] = c;
        });
      }),
    );
    return counts;
  }

  private note(m: ServerMember, r: ServerSample): void {
    m.openSocketsMax = Math.max(m.openSocketsMax, r.sample.openSockets);
    m.peakRssBytes = Math.max(m.peakRssBytes, r.peakRssBytes);
    if (r.acceptedBySourceAddress) m.acceptedBySourceAddress = r.acceptedBySourceAddress;
  }

  /** Each process as a row of `processes` in the result. */
  usage(): ProcessUsage[] {
    return this.members.map((m) => ({
      role: 'server',
      index: m.index,
      pid: m.pid,
      peakRssBytes: m.peakRssBytes,
      openSockets: m.openSocketsMax,
      acceptedBySourceAddress: m.acceptedBySourceAddress,
    }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.child.stop({ type: 'shutdown' })));
  }
}
