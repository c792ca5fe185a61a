import type { Scenario } from '../scenario/schema.js';
import type { Ports } from '../models/listeners.js';
import type { ConnbenchError } from '../util/errors.js';
import type { TreeSample } from '../metrics/processTree.js';
import { socketsPerClient } from '../topology/topology.js';
import type { Servers } from './servers.js';
import { Intermediary } from './intermediary.js';
import { viaOf, type RunNetwork } from './network.js';
import type { RawProxy } from './transportRow.js';
import type { ProcessUsage } from '../report/result.js';

/**
 * What stands between a model run's clients and its servers: nothing, an intermediary connbench
 * runs (nginx, HAProxy), or the user's own (`via`). It says where the clients connect, samples the
 * intermediary's processes when they are connbench's, and stops them.
 */
export class ClientPath {
  private readonly samples: Partial<Record<'base' | 'connected' | 'measureStart' | 'measureEnd', TreeSample>> = {};
  private peakRssBytes = 0;
  private mostSockets = 0;

  private constructor(
    /** The host clients connect to. */
    readonly host: string,
    /** Where clients connect, one map per server process. */
    readonly front: Ports[],
    private readonly kind: RawProxy['kind'],
    private readonly intermediary: Intermediary | undefined,
  ) {}

  /**
   * For servers that listen: an intermediary in front of them when the point asks for one
   * (`onFailure` when it dies before it is stopped), else the servers' own ports or the via's.
   */
  static async open(
    s: Scenario,
    servers: Pick<Servers, 'host' | 'ports'>,
    network: RunNetwork,
    onFailure: (e: ConnbenchError) => void,
  ): Promise<ClientPath> {
    const via = viaOf(s);
    if (via) return new ClientPath(via.host, [via.front], 'via', undefined);
    const kind = s.intermediary.proxy;
    const binary = kind === 'none' ? undefined : network.binaries[kind];
    if (!binary) return new ClientPath(servers.host, servers.ports, 'none', undefined);
    const intermediary = await Intermediary.start({
      binary,
      upstream: servers.ports,
      ...(s.tls.enabled && network.certificates ? { tls: network.certificates } : {}),
      buffering: s.intermediary.buffering,
      idleTimeoutMs: s.intermediary.idleTimeoutMs,
      connections: s.clients * socketsPerClient(s),
      onFailure,
    });
    return new ClientPath('127.0.0.1', intermediary.front, kind, intermediary);
  }

  /** Set when connbench's intermediary exited on its own: why, with its last log lines. */
  get failure(): ConnbenchError | undefined {
    return this.intermediary?.failure;
  }

  /** Samples the intermediary's processes (if connbench runs one) at a moment of the run. */
  sample(at: 'base' | 'connected' | 'measureStart' | 'measureEnd'): void {
    const t = this.intermediary?.sample();
    if (!t) return;
    this.samples[at] = t;
    this.peakRssBytes = Math.max(this.peakRssBytes, t.rssBytes);
    this.mostSockets = Math.max(this.mostSockets, t.sockets);
  }

  /** The intermediary connbench ran, as a row of `processes`; none without one. */
  usage(): ProcessUsage[] {
    const pid = this.intermediary?.pid;
    if (!pid) return [];
    return [{ role: 'proxy', index: 0, pid, peakRssBytes: this.peakRssBytes, openSockets: this.mostSockets }];
  }

  /** Every port a client connects to (for TIME_WAIT on either side of them). */
  get clientPorts(): number[] {
    return this.front.flatMap((p) => Object.values(p) as number[]);
  }

  raw(): RawProxy {
    return {
      kind: this.kind,
      version: this.intermediary?.version ?? null,
      ...this.samples,
      peakRssBytes: this.peakRssBytes,
    };
  }

  async stop(): Promise<void> {
    await this.intermediary?.stop();
  }
}
