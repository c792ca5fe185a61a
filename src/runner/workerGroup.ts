import type { ModelId } from '../models/types.js';
import type { FromWorker, ToWorker, WorkerProgress, WorkerResult, WorkerStart } from '../ipc/worker.js';
import type { ResourceSample } from '../metrics/process.js';
import type { OffsetEstimate } from '../metrics/clockOffset.js';
import type { ProcessUsage } from '../report/result.js';
import { CONTROL_TIMEOUT_MS, Child } from './child.js';
import type { Slice } from './plan.js';
import { WorkerUsage, isAlive } from './processUsage.js';

type WorkerChild = Child<ToWorker, FromWorker>;
type Cursors = Extract<FromWorker, { type: 'cursors' }>;
type Measure = Extract<ToWorker, { type: 'measure' }>;
type Drain = Extract<ToWorker, { type: 'drain' }>;

/** The workers' latest progress reports, summed. */
export interface ProgressTotals {
  connected: number;
  delivered: number;
  reconnects: number;
}

/**
 * The client workers of one model run, one per slice of the clients. Requests go to every worker at
 * once and their replies come back in worker order; each sample and drain also updates that
 * worker's row of `processes` (peak memory, most sockets).
 */
export class WorkerGroup {
  private readonly children: WorkerChild[] = [];
  private readonly used = new WorkerUsage();
  private readonly progress = new Map<number, WorkerProgress>();
  /** Connections each worker's clients had opened at its last sample. */
  private readonly opened = new Map<number, number>();

  /** `onProgress` is called at each progress report of any worker; totals() then includes it. */
  constructor(
    private readonly modelId: ModelId,
    private readonly onProgress: () => void,
    private readonly signal?: AbortSignal,
  ) {}

  /** Forks one worker per slice; from then on each has a row in usage(), even if it never answers. */
  fork(slices: Slice[]): void {
    for (const slice of slices) {
      const w = new Child<ToWorker, FromWorker>('client/worker.js', `client worker ${slice.workerIndex} for ${this.modelId}`, this.signal);
      w.onMessage((m) => {
        if (m.type === 'progress' || m.type === 'ramped') {
          this.progress.set(slice.workerIndex, m.progress);
          this.onProgress();
        }
      });
      this.children.push(w);
      this.used.forked(slice.workerIndex, w.pid ?? 0);
    }
  }

  totals(): ProgressTotals {
    let connected = 0;
    let delivered = 0;
    let reconnects = 0;
    for (const p of this.progress.values()) {
      connected += p.connected;
      delivered += p.delivered;
      reconnects += p.reconnects;
    }
    return { connected, delivered, reconnects };
  }

  /** One sample per worker, in worker order (`gc`: after a forced garbage collection). */
  sample(gc: boolean): Promise<ResourceSample[]> {
    return Promise.all(
      this.children.map((w, i) =>
        w.request({ type: 'sample', gc }, 'sample', CONTROL_TIMEOUT_MS, 'report a sample').then((m) => {
          this.opened.set(i, m.connectionsOpened ?? 0);
          return this.used.note(i, m.sample);
        }),
      ),
    );
  }

  /** Connections the clients of every worker had opened at the last sample, summed. */
  get connectionsOpened(): number {
    let n = 0;
    for (const v of this.opened.values()) n += v;
    return n;
  }

  /** Sends worker i `startOf(i)` and waits until every worker has connected (or failed) all its clients. */
  async start(startOf: (workerIndex: number) => WorkerStart, timeoutMs: number): Promise<void> {
    await Promise.all(this.children.map((w, i) => w.request(startOf(i), 'ramped', timeoutMs, 'connect its clients')));
  }

  /** Each worker's offset to the server's clock, in worker order (`apply`: each corrects its receive times by its own from now on). */
  clock(apply: boolean): Promise<OffsetEstimate[]> {
    // Long enough for the warm-up exchanges of a busy shard host.
    return Promise.all(
      this.children.map((w) =>
        w.request({ type: 'clock', apply }, 'clock', CONTROL_TIMEOUT_MS, 'estimate its clock offset').then((m) => m.estimate),
      ),
    );
  }

  measure(m: Measure): void {
    for (const w of this.children) w.send(m);
  }

  /** Each worker's clients' starting cursors (and, with chat, what its senders sent), in worker order. */
  cursors(): Promise<Cursors[]> {
    return Promise.all(this.children.map((w) => w.request({ type: 'cursors' }, 'cursors', CONTROL_TIMEOUT_MS, 'report cursors')));
  }

  /** Sends worker i `drainOf(i)` and waits for every worker's result; each reports its own peak memory with it. */
  drain(drainOf: (workerIndex: number) => Drain, timeoutMs: number): Promise<WorkerResult[]> {
    return Promise.all(
      this.children.map(async (w, i) => {
        const drained = await w.request(drainOf(i), 'drained', timeoutMs, 'drain');
        this.used.peak(i, drained.result.peakRssBytes);
        return drained.result;
      }),
    );
  }

  /** After a failure: samples every worker that still answers within timeoutMs; the others keep what they last reported. */
  async sampleSurvivors(timeoutMs: number): Promise<void> {
    await Promise.allSettled(
      this.children.map(async (w, i) => {
        if (isAlive(w)) this.used.note(i, (await w.request({ type: 'sample', gc: false }, 'sample', timeoutMs, 'report a sample')).sample);
      }),
    );
  }

  /** Each worker as a row of `processes` in the result. */
  usage(): ProcessUsage[] {
    return this.used.rows();
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((w) => w.stop({ type: 'stop' })));
  }
}
