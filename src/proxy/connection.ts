import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { nowUs } from '../metrics/clock.js';
import { DelayLine } from './delayLine.js';
import type { IdleAction, ProxyFaults } from './options.js';

/** What happened to a connection the proxy carried, with monotonic µs times. */
export interface ConnectionRecord {
  id: number;
  openedAtUs: number;
  /** Payload bytes client → server and server → client. */
  bytesUp: number;
  bytesDown: number;
  /**
   * open: forwarding. cut: closed by a fault (FIN or RST sent). silent: forwarding nothing and
   * telling nobody (idle `silent`/`silent-rst`, or half-open injection). closed: both sides gone.
   */
  state: 'open' | 'cut' | 'silent' | 'closed';
  /** The fault that ended forwarding, and when. */
  fault?: { kind: FaultKind; atUs: number };
  /** When the client's side closed (FIN, RST or error), as the proxy saw it. */
  clientClosedAtUs?: number;
  /** When the server's side closed. */
  serverClosedAtUs?: number;
  closedAtUs?: number;
}

export type FaultKind = `idle-${IdleAction}` | 'reset' | 'half-open';

export interface ConnectionHooks {
  /** A fault ended forwarding on this connection. */
  faulted(rec: ConnectionRecord): void;
  /** Payload crossed the proxy: `up` is client → server. */
  bytes(up: boolean, n: number): void;
  /** Both sockets are gone. */
  closed(rec: ConnectionRecord): void;
}

type Side = 'client' | 'server';

/** Grace after a FIN cut for the peers to close their sides before the proxy destroys them. */
const FIN_GRACE_MS = 2000;

/**
 * One client connection and its upstream socket. "Idle" is payload-free in both directions: TCP
 * keep-alive probes never reach user space, so, as at any layer-7 proxy, they do not count.
 */
export class ProxiedConnection {
  readonly rec: ConnectionRecord;
  private readonly client: Socket;
  private readonly server: Socket;
  private readonly up: DelayLine;
  private readonly down: DelayLine;
  private readonly faults: ProxyFaults;
  private readonly hooks: ConnectionHooks;
  private lastActivityMs = performance.now();
  /** silent-rst: a side that sends after the cut is reset. */
  private resetOnSend = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private resetTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    id: number,
    client: Socket,
    server: Socket,
    faults: ProxyFaults,
    hooks: ConnectionHooks,
    random: () => number,
    resetChosen: boolean,
  ) {
    this.rec = { id, openedAtUs: nowUs(), bytesUp: 0, bytesDown: 0, state: 'open' };
    this.client = client;
    this.server = server;
    this.faults = faults;
    this.hooks = hooks;
    this.up = new DelayLine(client, server, faults.latencyMs, faults.jitterMs, random);
    this.down = new DelayLine(server, client, faults.latencyMs, faults.jitterMs, random);
    this.wire('client', client, server);
    this.wire('server', server, client);
    if (faults.idleTimeoutMs > 0) this.armIdle(faults.idleTimeoutMs);
    if (resetChosen) this.resetTimer = setTimeout(() => this.fault('reset'), faults.resetAfterMs);
  }

  get open(): boolean {
    return this.rec.state === 'open';
  }

  /** Stops forwarding without a FIN or RST to anyone: both peers now hold a half-open connection. */
  halfOpen(): void {
    if (this.open) this.fault('half-open');
  }

  /** Latency and jitter for every chunk from now on, both ways (a latency fault starting or ending). */
  setLatency(latencyMs: number, jitterMs: number): void {
    this.up.setDelay(latencyMs, jitterMs);
    this.down.setDelay(latencyMs, jitterMs);
  }

  /** Resets both sides now. */
  reset(): void {
    if (this.open) this.fault('reset');
  }

  /** Tears both sockets down (proxy shutdown). */
  destroy(): void {
    this.client.destroy();
    this.server.destroy();
  }

  private wire(side: Side, from: Socket, to: Socket): void {
    const line = side === 'client' ? this.up : this.down;
    from.on('data', (chunk: Buffer) => this.onData(side, line, chunk));
    from.on('end', () => this.onEnd(side, line));
    from.on('error', (err: NodeJS.ErrnoException) => this.onError(side, to, err));
    from.on('close', () => this.onClose(side, to));
  }

  private onData(side: Side, line: DelayLine, chunk: Buffer): void {
    if (this.rec.state !== 'open') {
      // A forgotten flow: the payload goes nowhere; after a silent-rst cut its sender is reset.
      if (this.resetOnSend) resetSocket(side === 'client' ? this.client : this.server);
      return;
    }
    this.lastActivityMs = performance.now();
    if (side === 'client') this.rec.bytesUp += chunk.length;
    else this.rec.bytesDown += chunk.length;
    this.hooks.bytes(side === 'client', chunk.length);
    line.push(chunk);
  }

  private onEnd(side: Side, line: DelayLine): void {
    this.markClosed(side);
    if (this.rec.state === 'open') return line.push(null);
    // Cut or forgotten: the peer's FIN goes no further; let its socket go.
    (side === 'client' ? this.client : this.server).destroy();
  }

  private onError(side: Side, other: Socket, err: NodeJS.ErrnoException): void {
    this.markClosed(side);
    if (this.rec.state !== 'open') return;
    // Pass a reset on as a reset, so each end sees what the other did.
    if (err.code === 'ECONNRESET') resetSocket(other);
    else other.destroy();
  }

  private onClose(side: Side, other: Socket): void {
    this.markClosed(side);
    if (this.rec.state === 'open' && !other.destroyed) {
      // A side vanished without a FIN we could pass on (destroyed locally): end the other too.
      other.end();
      if (this.graceTimer === undefined) this.graceTimer = setTimeout(() => other.destroy(), FIN_GRACE_MS);
    }
    if (this.client.destroyed && this.server.destroyed) this.finish();
  }

  private markClosed(side: Side): void {
    const at = nowUs();
    if (side === 'client') this.rec.clientClosedAtUs ??= at;
    else this.rec.serverClosedAtUs ??= at;
  }

  private finish(): void {
    if (this.rec.closedAtUs !== undefined) return;
    this.clearTimers();
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.rec.closedAtUs = nowUs();
    if (this.rec.state === 'open') this.rec.state = 'closed';
    this.hooks.closed(this.rec);
  }

  private armIdle(delayMs: number): void {
    this.idleTimer = setTimeout(() => this.checkIdle(), delayMs);
  }

  /** Re-arms for the remaining time instead of resetting a timer on every chunk. */
  private checkIdle(): void {
    this.idleTimer = undefined;
    if (!this.open) return;
    const idleMs = performance.now() - this.lastActivityMs;
    const limitMs = this.faults.idleTimeoutMs;
    if (idleMs < limitMs) return this.armIdle(limitMs - idleMs);
    this.fault(`idle-${this.faults.idleAction}`);
  }

  private fault(kind: FaultKind): void {
    if (!this.open) return;
    this.clearTimers();
    this.up.drop();
    this.down.drop();
    this.rec.fault = { kind, atUs: nowUs() };
    switch (kind) {
      case 'idle-fin':
        this.rec.state = 'cut';
        this.client.end();
        this.server.end();
        this.graceTimer = setTimeout(() => this.destroy(), Math.max(FIN_GRACE_MS, this.faults.idleTimeoutMs));
        break;
      case 'idle-rst':
      case 'reset':
        this.rec.state = 'cut';
        resetSocket(this.client);
        resetSocket(this.server);
        break;
      default:
        // idle-silent, idle-silent-rst, half-open: keep reading (and dropping) so nobody's writes stall.
        this.rec.state = 'silent';
        this.resetOnSend = kind === 'idle-silent-rst';
        this.client.resume();
        this.server.resume();
    }
    this.hooks.faulted(this.rec);
  }

  private clearTimers(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.resetTimer) clearTimeout(this.resetTimer);
    this.idleTimer = undefined;
    this.resetTimer = undefined;
    // The grace timer is left alone: it is what ends a FIN cut.
  }
}

/** A RST rather than a FIN; a socket not yet connected can only be destroyed. */
function resetSocket(s: Socket): void {
  if (s.destroyed) return;
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}
