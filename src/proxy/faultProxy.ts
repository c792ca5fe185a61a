import net from 'node:net';
import { ProxiedConnection, type ConnectionRecord } from './connection.js';
import { NO_FAULTS, faultProblems, type ProxyFaults } from './options.js';
import { chosen } from '../util/chosen.js';
import { inputError, runError } from '../util/errors.js';

export interface ProxyOptions {
  /** Address to listen on; loopback by default. */
  listenHost?: string;
  /** 0 = any free port. */
  listenPort?: number;
  targetHost: string;
  targetPort: number;
  faults?: Partial<ProxyFaults>;
  /** Keep every connection's record after it closes (for records(); tests read them); off for a long-lived proxy. */
  keepRecords?: boolean;
  /** Called when a fault ends forwarding on a connection (idle cut, reset, half-open). */
  onFault?: (rec: ConnectionRecord) => void;
  /** Jitter source; tests pass a fixed one. */
  random?: () => number;
}

export interface ProxyStats {
  accepted: number;
  open: number;
  idleCuts: number;
  resets: number;
  halfOpened: number;
  upstreamErrors: number;
  bytesUp: number;
  bytesDown: number;
}

/**
 * A TCP proxy that behaves like the intermediaries between users and servers: it cuts idle
 * connections (FIN, RST or silently), turns chosen connections half-open, resets a fraction of
 * them, and adds latency with jitter. It forwards bytes untouched, so every model's protocol
 * passes through it as through a layer-4 load balancer with a layer-7 idle timer.
 */
export class FaultProxy {
  readonly faults: ProxyFaults;
  private readonly opts: ProxyOptions;
  private readonly server: net.Server;
  private readonly live = new Map<number, ProxiedConnection>();
  private readonly kept: ConnectionRecord[] = [];
  private readonly pending = new Set<net.Socket>();
  private nextId = 0;
  private halfOpenTimer: NodeJS.Timeout | undefined;
  readonly stats: ProxyStats = { accepted: 0, open: 0, idleCuts: 0, resets: 0, halfOpened: 0, upstreamErrors: 0, bytesUp: 0, bytesDown: 0 };

  constructor(opts: ProxyOptions) {
    this.opts = opts;
    this.faults = { ...NO_FAULTS, ...opts.faults };
    const problems = faultProblems(this.faults);
    if (problems.length > 0) throw inputError('CB_ERR_BAD_FAULT', `bad proxy faults: ${problems.join('; ')}`);
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.onAccept(s));
  }

  /** Listens; resolves with the port. */
  listen(): Promise<number> {
    const host = this.opts.listenHost ?? '127.0.0.1';
    const port = this.opts.listenPort ?? 0;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? runError('CB_ERR_PORT_IN_USE', `port ${port} on ${host} is already in use`, 'choose another port, or 0 for any free port')
            : runError('CB_ERR_LISTEN', `the proxy could not listen on ${host}:${port}: ${err.message}`, undefined, err),
        );
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        if (this.faults.halfOpenAtMs > 0)
          this.halfOpenTimer = setTimeout(() => this.halfOpenFraction(this.faults.halfOpenFraction), this.faults.halfOpenAtMs);
        resolve(this.port);
      });
    });
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Records of every connection: the live ones, and the closed ones when keepRecords is on. */
  records(): ConnectionRecord[] {
    return [...this.kept, ...[...this.live.values()].map((c) => c.rec)];
  }

  /** Ids of the connections forwarding now. */
  openIds(): number[] {
    return [...this.live.values()].filter((c) => c.open).map((c) => c.rec.id);
  }

  /** Turns the chosen open connections half-open now; returns their records. */
  halfOpen(ids?: Iterable<number>): ConnectionRecord[] {
    const want = ids === undefined ? undefined : new Set(ids);
    const done: ConnectionRecord[] = [];
    for (const c of this.live.values()) {
      if (!c.open || (want && !want.has(c.rec.id))) continue;
      c.halfOpen();
      done.push(c.rec);
    }
    return done;
  }

  /** Changes the added latency and jitter now, for open connections and new ones alike. */
  setLatency(latencyMs: number, jitterMs: number): void {
    this.faults.latencyMs = latencyMs;
    this.faults.jitterMs = jitterMs;
    for (const c of this.live.values()) c.setLatency(latencyMs, jitterMs);
  }

  /** Every k-th open connection (an exact fraction, oldest first) goes half-open now. */
  halfOpenFraction(fraction: number): ConnectionRecord[] {
    const open = [...this.live.values()].filter((c) => c.open);
    return this.halfOpen(open.filter((_, i) => chosen(i, fraction)).map((c) => c.rec.id));
  }

  /** Stops listening and tears down every connection. */
  async close(): Promise<void> {
    if (this.halfOpenTimer) clearTimeout(this.halfOpenTimer);
    for (const s of this.pending) s.destroy();
    for (const c of this.live.values()) c.destroy();
    await new Promise<void>((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
  }

  private onAccept(client: net.Socket): void {
    const index = this.stats.accepted++;
    client.setNoDelay(true);
    // A connection refused upstream must not crash the proxy; it is reset below.
    client.on('error', () => undefined);
    const upstream = net.connect({ host: this.opts.targetHost, port: this.opts.targetPort, allowHalfOpen: true, noDelay: true });
    this.pending.add(client);
    const refused = () => {
      this.pending.delete(client);
      this.stats.upstreamErrors++;
      // What a layer-4 balancer does when no backend answers.
      if (!client.destroyed) client.resetAndDestroy();
    };
    upstream.once('error', refused);
    upstream.once('connect', () => {
      upstream.off('error', refused);
      this.pending.delete(client);
      if (client.destroyed) return void upstream.destroy();
      const conn = new ProxiedConnection(
        this.nextId++,
        client,
        upstream,
        this.faults,
        this.hooks,
        this.opts.random ?? Math.random,
        chosen(index, this.faults.resetFraction),
      );
      this.live.set(conn.rec.id, conn);
      this.stats.open++;
      client.resume();
    });
  }

  private readonly hooks = {
    faulted: (rec: ConnectionRecord) => {
      const kind = rec.fault!.kind;
      if (kind === 'half-open') this.stats.halfOpened++;
      else if (kind === 'reset') this.stats.resets++;
      else this.stats.idleCuts++;
      this.opts.onFault?.(rec);
    },
    bytes: (up: boolean, n: number) => {
      if (up) this.stats.bytesUp += n;
      else this.stats.bytesDown += n;
    },
    closed: (rec: ConnectionRecord) => {
      this.live.delete(rec.id);
      this.stats.open--;
      if (this.opts.keepRecords) this.kept.push(rec);
    },
  };
}
