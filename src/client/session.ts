import type { ClientHandler, ClientOptions, Model, ModelClient } from '../models/types.js';
import type { Incoming, Outgoing } from '../models/message.js';
import type { Gap } from '../models/log.js';
import { ConnbenchError } from '../util/errors.js';
import { nowUs } from '../metrics/clock.js';
import { SeqTracker } from './seqTracker.js';
import type { SwappableDispatcher } from './swappableDispatcher.js';

/** What the worker wants to hear from each session; shared by every session in a worker. */
export interface SessionSink {
  /** Latency of one first delivery, microseconds from the scheduled time. */
  latency(us: number, m: Incoming, atUs: number): void;
  /** Time from starting a connect to the first byte of the subscription, microseconds. */
  connected(connectUs: number, firstTime: boolean): void;
  error(code: string): void;
  /** The connection ended and a reconnect is scheduled. */
  disconnected(): void;
}

export interface ReconnectPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  /** cursor (default): resume where we were. none: reconnect "from now", losing the gap. */
  resume: 'cursor' | 'none';
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { minDelayMs: 50, maxDelayMs: 2000, resume: 'cursor' };

/** Chat sends a session holds while it is disconnected; more are dropped and counted. */
export const OUTBOX_LIMIT = 10_000;

/**
 * One simulated client for the life of a run: connects through its model, reconnects with
 * jittered exponential backoff from the cursor it reached, and feeds the tracker. Every model
 * resumes the same way because this is the only place that reconnects.
 */
export class ClientSession {
  readonly tracker = new SeqTracker();
  reconnects = 0;
  connected = false;
  /** After awaitBack(): undefined until the next subscribe, then its time. */
  backAtUs: number | undefined | null;
  /** Chat sends made while disconnected, sent on the next subscribe (as a chat app's outbox does). */
  private outbox: Outgoing[] = [];
  private current: ModelClient | undefined;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private everConnected = false;
  private readonly model: Model;
  private readonly base: Omit<ClientOptions, 'cursor'>;
  private readonly sink: SessionSink;
  private readonly policy: ReconnectPolicy;

  constructor(model: Model, base: Omit<ClientOptions, 'cursor'>, sink: SessionSink, policy: ReconnectPolicy = DEFAULT_RECONNECT) {
    this.model = model;
    this.base = base;
    this.sink = sink;
    this.policy = policy;
  }

  /** Resolves after the first successful subscribe, or rejects with the first connect error. */
  start(): Promise<void> {
    return this.open(true);
  }

  /** Whether the first subscribe ever happened (a client that never connected is counted as failed). */
  get everSubscribed(): boolean {
    return this.everConnected;
  }

  /**
   * Sends now when subscribed, else queues for the next subscribe; the scheduled time inside `m`
   * keeps the wait in the latency. Returns false only when the outbox is full and `m` is dropped.
   */
  send(m: Outgoing): boolean {
    if (this.connected && this.current?.send) {
      this.current.send(m);
      return true;
    }
    if (this.outbox.length >= OUTBOX_LIMIT) {
      this.sink.error('CB_ERR_OUTBOX_FULL');
      return false;
    }
    this.outbox.push(m);
    return true;
  }

  /**
   * Drops the current connection as a network fault would, and with it an HTTP client's keep-alive
   * sockets (its SwappableDispatcher swaps); the session reconnects by itself with backoff, from its
   * cursor. Sends from now on wait in the outbox rather than go down a closing link.
   */
  drop(): void {
    const c = this.current;
    this.connected = false;
    if (c) void c.close();
    void (this.base.dispatcher as Partial<SwappableDispatcher>).swap?.();
  }

  /** Start watching for the next subscribe (its time lands in backAtUs). */
  awaitBack(): void {
    this.backAtUs = null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.current;
    this.current = undefined;
    if (c) await c.close().catch(() => undefined);
  }

  private open(first: boolean): Promise<void> {
    const startedUs = nowUs();
    let closed = false;
    const resumeCursor = this.policy.resume === 'cursor' ? (this.tracker.cursor ?? null) : null;
    const handler: ClientHandler = {
      onSubscribed: (cursor, atUs) => {
        this.tracker.subscribed(cursor);
        this.connected = true;
        if (this.backAtUs === null) this.backAtUs = atUs;
        this.attempt = 0;
        this.sink.connected(atUs - startedUs, !this.everConnected);
        this.everConnected = true;
        this.flushOutbox();
      },
      onMessage: (m, atUs) => {
        if (this.tracker.receive(m.seq)) this.sink.latency(atUs - m.t, m, atUs);
      },
      onGap: (gap: Gap) => this.tracker.gap(gap.fromSeq, gap.toSeq),
      onError: (e) => this.sink.error(e.code),
      onClose: () => {
        if (closed) return;
        closed = true;
        this.connected = false;
        if (this.current === client) this.current = undefined;
        if (!this.stopped) {
          this.sink.disconnected();
          this.scheduleReconnect();
        }
      },
    };
    const client = this.model.createClient({ ...this.base, cursor: resumeCursor }, handler);
    this.current = client;
    return client.connect().catch((err: unknown) => {
      const code = err instanceof ConnbenchError ? err.code : 'CB_ERR_CONNECT';
      this.sink.error(code);
      // A failed connect closes by itself; make sure a reconnect is scheduled exactly once.
      handler.onClose(nowUs());
      if (first) throw err;
    });
  }

  private flushOutbox(): void {
    if (this.outbox.length === 0 || !this.current?.send) return;
    const queued = this.outbox;
    this.outbox = [];
    for (const m of queued) this.current.send(m);
  }

  private scheduleReconnect(): void {
    this.reconnects++;
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.minDelayMs * 2 ** this.attempt++);
    // Full jitter: a storm of reconnects spreads out instead of arriving in lockstep.
    const delayMs = Math.random() * ceiling;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) void this.open(false);
    }, delayMs);
  }
}
