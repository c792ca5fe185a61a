import type { FromControl, RunKey, ToControl } from '../../ipc/control.js';
import type { Ports } from '../../models/listeners.js';
import { LISTENER_KINDS } from '../../models/listeners.js';
import type { Scenario } from '../../scenario/schema.js';
import { validateScenario } from '../../scenario/load.js';
import { expandMatrix } from '../../scenario/matrix.js';
import { ConnbenchError, inputError, runError } from '../../util/errors.js';
import { planRun, type Limits } from '../plan.js';
import { ControlRun, type ControlRunSettings } from './controlRun.js';

export interface ControllerOptions extends ControlRunSettings {
  /** Where the server processes listen. */
  host: string;
  /** The first of their ports, each process taking one per listener kind in turn; 0 = any free port. */
  firstModelPort: number;
  /** This host's limits: a model run it cannot hold is refused before any process starts. */
  limits: () => Limits;
}

/**
 * The server side of `serve --control`: at most one model run at a time (ControlRun), started by
 * the first shard that asks for it and joined by the others, and replaced only once it is over.
 * A shard that asks for another run while one is under way is told the server is busy and asks
 * again: shards finish a model at different times, and the next begins when all are done.
 */
export class Controller {
  private current: ControlRun | undefined;
  private starting: Promise<ControlRun> | undefined;

  constructor(private readonly o: ControllerOptions) {}

  /** The ports of server process `index` of a run: fixed ones from firstModelPort, else any free one. */
  private portsOf(index: number): Ports {
    if (this.o.firstModelPort === 0) return {};
    return Object.fromEntries(LISTENER_KINDS.map((kind, j) => [kind, this.o.firstModelPort + index * LISTENER_KINDS.length + j]));
  }

  async handle(m: ToControl): Promise<FromControl> {
    if (m.type === 'status') return this.status();
    if (m.type === 'begin') return this.begin(m.key, m.shard, m.scenario);
    const run = this.runOf(m.runId);
    switch (m.type) {
      case 'connected':
        return run.connected(m.shard, m.clients, m.waitMs);
      case 'point':
        return run.point(m.point, m.waitMs);
      case 'sample':
        return run.sample();
      case 'expected':
        return run.expected(m.shard, m.workers, m.upToSeq, m.sentByInbox, m.waitMs);
      case 'head':
        return run.head();
      case 'end':
        return run.end(m.shard, m.waitMs);
    }
  }

  /** Stops whatever runs (the server is shutting down). */
  async close(): Promise<void> {
    const run = this.current ?? (await this.starting?.catch(() => undefined));
    await run?.close();
  }

  private status(): FromControl {
    const r = this.current;
    if (!r || r.isClosed) return { type: 'status', state: 'idle' };
    return { type: 'status', state: 'running', run: { runId: r.runId, model: r.model, shards: r.shardCount, phase: r.phase } };
  }

  private runOf(runId: string): ControlRun {
    const r = this.current;
    if (r && r.runId === runId && !r.isClosed) return r;
    throw runError(
      'CB_ERR_UNKNOWN_RUN',
      `no model run ${runId} is under way on this server`,
      'the run ended (or the server restarted): start the shards again',
    );
  }

  private async begin(key: RunKey, shard: { index: number; count: number }, input: Record<string, unknown>): Promise<FromControl> {
    const run = await this.runFor(key, shard.count, scenarioOf(input));
    if (run.shardCount !== shard.count) {
      throw inputError(
        'CB_ERR_SHARD_MISMATCH',
        `shard ${shard.index}/${shard.count} joined a run of ${run.shardCount} shards`,
        'give every shard the same --shard count',
      );
    }
    run.join(shard.index);
    return { type: 'begun', runId: run.runId, ports: run.ports, base: run.base };
  }

  /** The run under way with this key, or a new one when none is; decided before any await, so shards that begin together share one start. */
  private runFor(key: RunKey, shardCount: number, s: Scenario): Promise<ControlRun> {
    const busy = (run: ControlRun) =>
      runError(
        'CB_ERR_SERVER_BUSY',
        `the server is running ${run.model} of another model run (${run.runId}) until its shards end`,
        'ask again: shards that finish a model first wait here for the others',
      );
    const open = this.current && !this.current.isClosed ? this.current : undefined;
    if (open) return sameKey(open.key, key) ? Promise.resolve(open) : Promise.reject(busy(open));
    if (this.starting) {
      return this.starting.then((run) => {
        if (!sameKey(run.key, key)) throw busy(run);
        return run;
      });
    }
    // Refused here, with the arithmetic, rather than failing halfway through a ramp.
    planRun(s, this.o.limits(), { kind: 'server' });
    const starting = ControlRun.start(key, shardCount, s, { host: this.o.host, portsOf: (i) => this.portsOf(i) }, this.o).then(
      (run) => {
        this.current = run;
        this.starting = undefined;
        return run;
      },
      (err: unknown) => {
        this.starting = undefined;
        throw err instanceof ConnbenchError ? err : runError('CB_ERR_SERVER', `the server processes did not start: ${String(err)}`);
      },
    );
    this.starting = starting;
    return starting;
  }
}

function sameKey(a: RunKey, b: RunKey): boolean {
  return a.fingerprint === b.fingerprint && a.point === b.point && a.model === b.model && a.repeat === b.repeat;
}

/** The point a shard sent, checked as a scenario file would be; it must be one point. */
function scenarioOf(input: Record<string, unknown>): Scenario {
  const points = expandMatrix(validateScenario(input, 'the scenario a shard sent'));
  if (points.length !== 1) {
    throw inputError('CB_ERR_BAD_CONTROL', `a shard sent a scenario of ${points.length} matrix points; "begin" takes one point`);
  }
  return points[0]!;
}
