import type { Scenario } from '../../scenario/schema.js';
import type { Ports } from '../../models/listeners.js';
import type { FromControl, RunKey, ServerFigures, ServerMemoryFigures, ServerUsage } from '../../ipc/control.js';
import type { ProcessUsage } from '../../report/result.js';
import type { ServerMember } from '../serverGroup.js';
import type { PublishingWindow, SamplePoint, ServerMemory, Servers, WorkerCursors } from '../servers.js';
import { inputOf } from '../../scenario/inputOf.js';
import { PROBE_COARSE, probeClock } from '../../client/clockProbe.js';
import { runError } from '../../util/errors.js';
import type { ControlClient } from './controlClient.js';
import type { PublishTimes } from '../../ipc/common.js';

/** How long a shard asks to begin while the server is busy with the previous model (the slowest shard's drain) or not yet listening. */
export const BEGIN_DEADLINE_MS = 15 * 60_000;
/** How long a shard waits at the barrier for the other shards: the server's own barrier timeout (serve --barrier-timeout) decides first. */
const BARRIER_DEADLINE_MS = 60 * 60_000;
/** Each other request: a sample, a head, the expected counts (with chat, until every shard has sent its counts). */
const REQUEST_DEADLINE_MS = 5 * 60_000;
/**
 * How long a shard waits at the end for the others, so the server closes the connections first and
 * their TIME_WAIT stays on its side; then it stops its workers anyway (a shard that died never ends).
 */
const END_DEADLINE_MS = 10_000;

type Edge = Extract<FromControl, { type: 'point' }>;

/**
 * A server this runner did not fork: `connbench serve --control` at `--target`, shared with the
 * other shards. Each call of the phases becomes a control request; the server decides when
 * publishing starts (when every shard's clients are connected) and samples itself at the same
 * points the runner would sample its own processes, so every shard reports the same server figures.
 */
export class RemoteServers implements Servers {
  readonly members: ServerMember[] = [];
  readonly clock: { url: string; token: string };
  private released: Extract<FromControl, { type: 'released' }> | undefined;
  private readonly edges = new Map<'measureStart' | 'measureEnd', Edge>();
  private lastUsage: ServerUsage[] = [];

  private constructor(
    private readonly client: ControlClient,
    private readonly runId: string,
    private readonly shard: { index: number; count: number },
    readonly host: string,
    readonly ports: Ports[],
    private readonly base: ServerMemoryFigures,
    /** Server clock − this process's clock, coarse: only for timing this runner's own phases. */
    private readonly offsetUs: number,
    private readonly clients: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.clock = { url: client.baseUrl, token: client.token };
  }

  /** Begins (or joins) the model run `key` on the server; `clients`: this shard's. */
  static async begin(
    client: ControlClient,
    key: RunKey,
    shard: { index: number; count: number },
    s: Scenario,
    clients: number,
    signal?: AbortSignal,
  ): Promise<RemoteServers> {
    const { matrix: _matrix, ...point } = s;
    const begun = await client.call({ type: 'begin', key, shard, scenario: inputOf(point) as Record<string, unknown> }, 'begun', {
      deadlineMs: Date.now() + BEGIN_DEADLINE_MS,
      retryBusy: true,
      ...(signal ? { signal } : {}),
    });
    const offset = await probeClock(client.baseUrl, client.token, PROBE_COARSE);
    const host = new URL(client.baseUrl).hostname;
    return new RemoteServers(client, begun.runId, shard, host, begun.ports, begun.base, offset.offsetUs, clients, signal);
  }

  /**
   * The server's samples at the window's edges and after the drain. Around the settle the runner's
   * own samples would time this shard's settle, not the server's: the server measures its idle CPU
   * itself at the barrier (memory('connected').idle), and the fresh sample stands in here.
   */
  async sample(point: SamplePoint, _gc: boolean): Promise<ServerFigures> {
    switch (point) {
      case 'settle':
        return this.base.server;
      case 'measureStart':
      case 'measureEnd':
        return (await this.edge(point)).figures;
      case 'final': {
        const r = await this.client.call({ type: 'sample', runId: this.runId }, 'sample', this.deadline(REQUEST_DEADLINE_MS));
        this.lastUsage = r.usage;
        return r.figures;
      }
    }
  }

  /** Fresh, as the server sampled it when the model run began; with every client connected, once every shard's are (the barrier). */
  async memory(point: 'base' | 'connected'): Promise<ServerMemory> {
    return point === 'base' ? this.base : (await this.barrier()).connected;
  }

  async publishTimes(): Promise<PublishTimes> {
    const end = await this.edge('measureEnd');
    return { lags: end.publishLags, handoffs: end.publishHandoffs ?? [] };
  }

  async release(_s: Scenario): Promise<PublishingWindow> {
    return { ...(await this.barrier()).window, offsetUs: this.offsetUs };
  }

  /** The server stops publishing by its own timer at the window's end (and bursts): this waits for that and reads the head. */
  async stopPublishing(_untilUs: number): Promise<number> {
    return (await this.edge('measureEnd')).lastSeq;
  }

  /** The server's own closing burst is in the head stopPublishing read. */
  async burst(_count: number, _payloadBytes: number): Promise<number> {
    return (await this.edge('measureEnd')).lastSeq;
  }

  async head(): Promise<number> {
    return (await this.client.call({ type: 'head', runId: this.runId }, 'head', this.deadline(REQUEST_DEADLINE_MS))).lastSeq;
  }

  async expected(workers: WorkerCursors[], upToSeq: number, sentByInbox?: Record<string, number>) {
    const r = await this.client.call(
      {
        type: 'expected',
        runId: this.runId,
        shard: this.shard.index,
        workers: workers.map((w) => ({
          firstClientId: w.firstClientId,
          stride: w.stride ?? 1,
          // JSON has no undefined: a client that never subscribed sends no afterSeq.
          queries: w.queries.map((q) => ({
            ...(q.user !== undefined ? { user: q.user } : {}),
            ...(q.afterSeq !== undefined ? { afterSeq: q.afterSeq } : {}),
          })),
        })),
        upToSeq,
        ...(sentByInbox ? { sentByInbox } : {}),
        waitMs: 0,
      },
      'expected',
      this.deadline(REQUEST_DEADLINE_MS),
    );
    return { counts: r.counts, ...(r.owedByInbox ? { owedByInbox: r.owedByInbox } : {}) };
  }

  usage(): ProcessUsage[] {
    return this.lastUsage.map((u) => ({ role: 'server', ...u }));
  }

  /** A failed run: the server's processes as they are now, if it still answers. */
  async sampleSurvivors(timeoutMs: number): Promise<void> {
    await this.client
      .call({ type: 'sample', runId: this.runId }, 'sample', { deadlineMs: Date.now() + timeoutMs })
      .then((r) => void (this.lastUsage = r.usage))
      .catch(() => undefined);
  }

  /** This shard is done: waits (a while) for the other shards, so the server stops and closes the connections first. */
  async stop(): Promise<void> {
    await this.client
      .call({ type: 'end', runId: this.runId, shard: this.shard.index, waitMs: 0 }, 'ended', { deadlineMs: Date.now() + END_DEADLINE_MS })
      .catch(() => undefined);
  }

  /** The barrier: this shard's clients are connected; resolves when every shard's are and the server has picked t0. */
  private async barrier(): Promise<Extract<FromControl, { type: 'released' }>> {
    this.released ??= await this.client.call(
      { type: 'connected', runId: this.runId, shard: this.shard.index, clients: this.clients, waitMs: 0 },
      'released',
      this.deadline(BARRIER_DEADLINE_MS),
    );
    if (this.released.missing.includes(this.shard.index)) {
      throw runError(
        'CB_ERR_SHARD_LATE',
        `shard ${this.shard.index}/${this.shard.count} reported its clients connected after the server's barrier had gone on without it`,
        'start every shard at about the same time, or raise serve --barrier-timeout',
      );
    }
    return this.released;
  }

  private async edge(point: 'measureStart' | 'measureEnd'): Promise<Edge> {
    let e = this.edges.get(point);
    if (!e) {
      e = await this.client.call({ type: 'point', runId: this.runId, point, waitMs: 0 }, 'point', this.deadline(REQUEST_DEADLINE_MS));
      this.edges.set(point, e);
    }
    return e;
  }

  private deadline(ms: number) {
    return { deadlineMs: Date.now() + ms, ...(this.signal ? { signal: this.signal } : {}) };
  }
}
