import type { Scenario } from '../../scenario/schema.js';
import type { Ports } from '../../models/listeners.js';
import type { ExpectedWorker, FromControl, RunKey, ServerFigures, ServerMemoryFigures, WindowUs } from '../../ipc/control.js';
import { LocalServers } from '../servers.js';
import { nowUs } from '../../metrics/clock.js';
import { mergeSentByInbox } from '../../client/chat.js';
import { SETTLE_MS } from '../../scenario/phases.js';
import { sleep } from '../../util/sleep.js';
import { runError } from '../../util/errors.js';
import { deferred, within, type Deferred } from './deferred.js';

/**
 * Publishing starts this long after the barrier lets the shards go: the release has to reach every
 * shard and each shard its workers before the first message, over a network rather than a pipe.
 */
const REMOTE_LEAD_US = 250_000;

export interface ControlRunSettings {
  /** The longest the barrier waits for every shard's clients to connect, from the run's start; then it goes on with those that have. */
  barrierTimeoutMs: number;
  /** After the first shard ends, how long the others have to end before the server processes stop anyway (a shard that died never ends). */
  endGraceMs: number;
}

/** The server at an edge of the measured window: its sample, the log head then, and (at the end) its publishers' lateness. */
interface Edge {
  figures: ServerFigures;
  lastSeq: number;
  publishLags: string[];
  publishHandoffs: string[];
}

interface Released {
  window: WindowUs;
  connected: ServerMemoryFigures & { idle: { cpuUs: number; durationUs: number } };
  missing: number[];
}

/**
 * One model run on the server of `serve --control`, shared by the n shards of a `run --target`:
 * what the runner's phases do to the server processes they fork (src/runner/runModel.ts), done
 * once for every shard. The server samples itself at the same points (fresh, all connected, the
 * edges of the window, on demand), publishes from the t0 it picks when every shard's clients are
 * connected, stops and bursts at the window's end by its own timer, answers each shard's expected
 * counts (with chat, once every shard has said what its users sent), and stops its processes when
 * every shard has ended, so their connections' TIME_WAIT stays on its side.
 */
export class ControlRun {
  readonly runId: string;
  private readonly joined = new Set<number>();
  private readonly connectedShards = new Map<number, number>();
  private readonly endedShards = new Set<number>();
  private missing: number[] | undefined;
  private readonly released = deferred<Released>();
  private readonly edges = { measureStart: deferred<Edge>(), measureEnd: deferred<Edge>() };
  private readonly sentByShard = new Map<number, Record<string, number>>();
  private readonly owed = deferred<Record<string, number>>();
  private readonly closed = deferred<void>();
  private closing = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private graceTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly key: RunKey,
    readonly shardCount: number,
    private readonly s: Scenario,
    private readonly servers: LocalServers,
    readonly base: ServerMemoryFigures,
    private readonly settings: ControlRunSettings,
  ) {
    this.runId = `${key.fingerprint.slice(0, 12)}-${key.point}-${key.model}-${key.repeat}`;
    this.timers.push(setTimeout(() => this.release(), settings.barrierTimeoutMs));
    // However the shards fare, a run does not hold the server forever.
    const lifeMs = settings.barrierTimeoutMs + s.warmupMs + s.durationMs + s.drainTimeoutMs + settings.endGraceMs + 300_000;
    this.timers.push(setTimeout(() => void this.close(), lifeMs));
  }

  /** Forks the server processes (on `at`) and samples them fresh. */
  static async start(
    key: RunKey,
    shardCount: number,
    s: Scenario,
    at: { host: string; portsOf?: (index: number) => Ports },
    settings: ControlRunSettings,
  ): Promise<ControlRun> {
    const servers = await LocalServers.start(s, key.model, undefined, at);
    try {
      const { server, serverRepeats } = await servers.memory('base');
      return new ControlRun(key, shardCount, s, servers, { server, serverRepeats }, settings);
    } catch (err) {
      await servers.stop();
      throw err;
    }
  }

  get ports(): Ports[] {
    return this.servers.ports;
  }

  get model(): string {
    return this.key.model;
  }

  /** Where the run is, for `status`. */
  get phase(): string {
    if (this.closing) return 'stopping';
    if (this.endedShards.size > 0) return 'ending';
    return this.missing ? 'released' : 'connecting';
  }

  /** Whether the run is over: no shard may join, and a new run may start. */
  get isClosed(): boolean {
    return this.closing;
  }

  join(shard: number): void {
    if (this.missing) {
      throw runError(
        'CB_ERR_RUN_UNDER_WAY',
        `shard ${shard}/${this.shardCount} asked to join ${this.key.model} after the barrier had let the other shards go`,
        "start every shard within the server's barrier timeout (serve --barrier-timeout); a shard that restarts cannot rejoin a model run",
      );
    }
    this.joined.add(shard);
  }

  /** Shard `shard`'s clients are connected: held until every shard's are (or the barrier gives up), then the window. */
  async connected(shard: number, connected: number, waitMs: number): Promise<FromControl> {
    if (!this.missing) this.connectedShards.set(shard, connected);
    if (this.everyShard((i) => this.connectedShards.has(i) || this.endedShards.has(i))) this.release();
    const r = await within(this.released.promise, waitMs);
    return r === 'pending' ? { type: 'pending' } : { type: 'released', ...r };
  }

  async point(name: keyof ControlRun['edges'], waitMs: number): Promise<FromControl> {
    const r = await within(this.edges[name].promise, waitMs);
    return r === 'pending' ? { type: 'pending' } : { type: 'point', ...r };
  }

  async sample(): Promise<FromControl> {
    const figures = await this.servers.sample('final', false);
    const usage = this.servers.usage().map(({ role: _role, ...u }) => ({ ...u, acceptedBySourceAddress: u.acceptedBySourceAddress ?? {} }));
    return { type: 'sample', figures, usage };
  }

  /** With chat, held until every shard that connected has said what its users sent. */
  async expected(
    shard: number,
    workers: ExpectedWorker[],
    upToSeq: number,
    sentByInbox: Record<string, number> | undefined,
    waitMs: number,
  ): Promise<FromControl> {
    // JSON has no undefined: a query without afterSeq is a client that never subscribed.
    const cursors = workers.map((w) => ({ ...w, queries: w.queries.map((q) => ({ ...q, afterSeq: q.afterSeq })) }));
    const { counts } = await this.servers.expected(cursors, upToSeq);
    if (this.s.workload.pattern !== 'chat') return { type: 'expected', counts };
    this.sentByShard.set(shard, sentByInbox ?? {});
    this.settleOwed();
    const owed = await within(this.owed.promise, waitMs);
    return owed === 'pending' ? { type: 'pending' } : { type: 'expected', counts, owedByInbox: owed };
  }

  async head(): Promise<FromControl> {
    return { type: 'head', lastSeq: await this.servers.head() };
  }

  /** Shard `shard` is done. When every shard is, or endGraceMs after the first, the server processes stop. */
  async end(shard: number, waitMs: number): Promise<FromControl> {
    this.endedShards.add(shard);
    this.settleOwed();
    if (this.everyShard((i) => this.endedShards.has(i) || this.missing?.includes(i) === true)) void this.close();
    else this.graceTimer ??= setTimeout(() => void this.close(), this.settings.endGraceMs);
    if (!this.missing && this.everyShard((i) => this.connectedShards.has(i) || this.endedShards.has(i))) this.release();
    const r = await within(this.closed.promise, waitMs);
    return { type: 'ended', stopped: r !== 'pending' };
  }

  /** Stops the server processes (once); every request still waiting gets CB_ERR_RUN_CLOSED. */
  async close(): Promise<void> {
    if (this.closing) return this.closed.promise;
    this.closing = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    const gone = runError('CB_ERR_RUN_CLOSED', `the server ended the model run of ${this.key.model}`);
    for (const d of [this.released, this.edges.measureStart, this.edges.measureEnd, this.owed] as Deferred<unknown>[]) {
      if (!d.settled) d.reject(gone);
    }
    await this.servers.stop();
    this.closed.resolve();
  }

  private everyShard(done: (index: number) => boolean): boolean {
    for (let i = 0; i < this.shardCount; i++) if (!done(i)) return false;
    return true;
  }

  /** The barrier opens: every shard has connected or ended, or its timeout passed. Shards not connected by then are missing. */
  private release(): void {
    if (this.missing || this.closing) return;
    this.missing = [];
    for (let i = 0; i < this.shardCount; i++) if (!this.connectedShards.has(i)) this.missing.push(i);
    void this.releaseNow().then(this.released.resolve, this.released.reject);
  }

  private async releaseNow(): Promise<Released> {
    if (this.connectedShards.size === 0) {
      throw runError('CB_ERR_NO_SHARDS', `no shard of ${this.key.model} connected its clients before the barrier gave up`);
    }
    // Settled, as a runner settles its own servers: the CPU they use idle, every client connected, is
    // the background of the CPU-per-message figures (src/metrics/bounds.ts); then their memory.
    const from = await this.servers.sample('settle', false);
    await sleep(SETTLE_MS);
    const to = await this.servers.sample('settle', false);
    const idle = { cpuUs: cpuUsOf(to) - cpuUsOf(from), durationUs: to.sample.atUs - from.sample.atUs };
    const { server, serverRepeats } = await this.servers.memory('connected');
    const { offsetUs: _same, ...window } = await this.servers.release(this.s, REMOTE_LEAD_US);
    this.settleAt(window.measureFromUs, this.edges.measureStart, async () => ({
      figures: await this.servers.sample('measureStart', false),
      lastSeq: await this.servers.head(),
      publishLags: [],
      publishHandoffs: [],
    }));
    this.settleAt(window.publishUntilUs, this.edges.measureEnd, () => this.windowEnd(window.publishUntilUs));
    return { window, connected: { server, serverRepeats, idle }, missing: this.missing! };
  }

  private settleAt<T>(atUs: number, d: Deferred<T>, work: () => Promise<T>): void {
    this.timers.push(setTimeout(() => void work().then(d.resolve, d.reject), Math.max(0, (atUs - nowUs()) / 1000)));
  }

  /** Publishing stops (what is due before untilUs goes out first), an idle workload's burst goes out, then the sample. */
  private async windowEnd(untilUs: number): Promise<Edge> {
    let lastSeq = await this.servers.stopPublishing(untilUs);
    const w = this.s.workload;
    if (w.pattern === 'idle' && w.burst > 0) lastSeq = await this.servers.burst(w.burst, w.payloadBytes);
    const figures = await this.servers.sample('measureEnd', false);
    const times = await this.servers.publishTimes();
    return { figures, lastSeq, publishLags: times.lags, publishHandoffs: times.handoffs };
  }

  /** Chat: once every shard that connected has sent its counts (or ended), what each address is owed over all of them. */
  private settleOwed(): void {
    if (this.owed.settled || !this.missing) return;
    const reported = (i: number) => this.sentByShard.has(i) || this.endedShards.has(i) || this.missing!.includes(i);
    if (this.everyShard(reported)) this.owed.resolve(mergeSentByInbox([...this.sentByShard.values()]));
  }
}

const cpuUsOf = (f: ServerFigures) => f.sample.cpuUserUs + f.sample.cpuSystemUs;
