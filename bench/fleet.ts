import { Child } from '../dist/runner/child.js';
import { CONTROL_TIMEOUT_MS } from './children.js';
import { planRun } from '../dist/runner/plan.js';
import { startMessageOf } from '../dist/runner/serverGroup.js';
import { openFilesLimit } from '../dist/metrics/limits.js';
import type { FromServer, ToServer } from '../dist/ipc/server.js';
import type { FromWorker, ToWorker, WorkerResult } from '../dist/ipc/worker.js';
import type { ResourceSample } from '../dist/metrics/process.js';
import type { ModelId } from '../dist/models/types.js';
import type { Ports } from '../dist/models/listeners.js';
import type { Scenario } from '../dist/scenario/schema.js';
import { nowUs } from '../dist/metrics/clock.js';

/**
 * The reference server and client workers of one model, started as the runner starts them
 * (src/runner/runModel.ts) but driven step by step, for figures the runner's fixed phases do not
 * give: requests per second over a window, and the time a burst takes to reach every client.
 */

export type ServerSample = Extract<FromServer, { type: 'sample' }>;

export class BenchServer {
  readonly child: Child<ToServer, FromServer>;
  /** Where it listens, by listener kind. */
  ports: Ports = {};

  private constructor(modelId: ModelId) {
    this.child = new Child<ToServer, FromServer>('server/main.js', `server process for ${modelId}`);
  }

  static async start(s: Scenario, modelId: ModelId): Promise<BenchServer> {
    const server = new BenchServer(modelId);
    try {
      const listening = await server.child.request(startMessageOf(s, modelId), 'listening', CONTROL_TIMEOUT_MS, 'start listening');
      server.ports = listening.ports;
      return server;
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  sample(gc: boolean): Promise<ServerSample> {
    return this.child.request({ type: 'sample', gc }, 'sample', CONTROL_TIMEOUT_MS, 'report a sample');
  }

  stop(): Promise<void> {
    return this.child.stop({ type: 'shutdown' });
  }
}

export class BenchWorkers {
  readonly children: Child<ToWorker, FromWorker>[] = [];

  private constructor(private readonly server: BenchServer) {}

  /** Forks the workers the runner would for this scenario and waits until every client connected or failed. */
  static async start(s: Scenario, modelId: ModelId, server: BenchServer): Promise<BenchWorkers> {
    const plan = planRun(s, { openFilesLimit: openFilesLimit() });
    const fleet = new BenchWorkers(server);
    try {
      for (const slice of plan.slices)
        fleet.children.push(new Child<ToWorker, FromWorker>('client/worker.js', `client worker ${slice.workerIndex} for ${modelId}`));
      const ramped = await Promise.all(
        fleet.children.map((w, i) => {
          const slice = plan.slices[i]!;
          return w.request(
            {
              type: 'start',
              workerIndex: i,
              model: modelId,
              firstClientId: slice.firstClientId,
              count: slice.count,
              host: '127.0.0.1',
              servers: [server.ports],
              sourceAddresses: plan.sourceAddresses,
              rampUpMs: s.rampUpMs,
              scenario: s,
            },
            'ramped',
            s.rampUpMs + 60_000 + s.clients * 5,
            'connect its clients',
          );
        }),
      );
      const failed = ramped.reduce((a, r) => a + r.progress.failed, 0);
      if (failed > 0) throw new Error(`${failed} of ${s.clients} ${modelId} clients could not connect`);
      return fleet;
    } catch (err) {
      await fleet.stop();
      throw err;
    }
  }

  sample(gc: boolean): Promise<ResourceSample[]> {
    return Promise.all(
      this.children.map((w) => w.request({ type: 'sample', gc }, 'sample', CONTROL_TIMEOUT_MS, 'report a sample').then((m) => m.sample)),
    );
  }

  /** Latency is recorded for messages scheduled from now on, as in a run's measured window. */
  measureFromNow(): void {
    const t = nowUs();
    for (const w of this.children) w.send({ type: 'measure', measureFromUs: t, chatT0Us: t, chatUntilUs: t });
  }

  /** The runner's drain: every client's expected count from the server, then wait until each has it. */
  async drain(upToSeq: number, timeoutMs: number): Promise<WorkerResult[]> {
    return Promise.all(
      this.children.map(async (w) => {
        const { queries } = await w.request({ type: 'cursors' }, 'cursors', CONTROL_TIMEOUT_MS, 'report cursors');
        const { counts } = await this.server.child.request(
          { type: 'expected', queries, upToSeq },
          'expected',
          CONTROL_TIMEOUT_MS,
          'count expected messages',
        );
        const drained = await w.request({ type: 'drain', expected: counts, timeoutMs }, 'drained', timeoutMs + CONTROL_TIMEOUT_MS, 'drain');
        return drained.result;
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((w) => w.stop({ type: 'stop' })));
  }
}

export const cpuUsOf = (s: ResourceSample) => s.cpuUserUs + s.cpuSystemUs;
