import type { Dispatcher } from 'undici';
import type { ClientHandler, ClientOptions, ModelClient } from '../types.js';
import type { Outgoing } from '../message.js';
import { nowUs } from '../../metrics/clock.js';
import { ConnbenchError, codeOfSocketError, transportError } from '../../util/errors.js';
import { parsePollBody, type PollBody } from './pollBody.js';
import { errorOfResponse } from '../http/errorOfResponse.js';
import { postSend } from '../http/postSend.js';
import { httpOrigin } from '../transport.js';

/** What tells short polling from long polling on the client side. */
export interface PollMode {
  /** How long the server may hold each poll; 0 = short poll, answered at once. */
  waitMs: number;
  /** Pause between an answer and the next ask (started when the answer arrives); 0 = ask again at once. */
  intervalMs: number;
  /** Long polling's empty answer is its heartbeat; short polling's is just a poll. */
  emptyIsHeartbeat: boolean;
  /**
   * HTTP keep-alive: false sends every poll with `Connection: close`, so each poll opens a new
   * connection (and TLS session) and the server closes it after the answer.
   */
  keepAlive: boolean;
}

/**
 * One poll loop with exactly one request outstanding; ends (onClose once) at its first failure.
 *
 * It is its own undici dispatch handler: each poll is one `dispatch()` with this object, with no
 * promise, AbortController, body stream or timer made per request. The dead-peer deadline is one
 * timer per client, re-armed as each request leaves; the pause of short polling is another. That
 * is what lets one generator process keep up with a server (docs/benchmarks.md, Where a goal is
 * missed: Short-poll generator).
 */
export class PollClient implements ModelClient, Dispatcher.DispatchHandler {
  private readonly origin: string;
  /** `&user=…` and, with a pause, `&every=…` (so the server knows when to expect us): built once. */
  private readonly tailQuery: string;
  private cursor = 0;
  private closed = false;
  /** Whether the first answer (the subscription) has arrived. */
  private subscribed = false;
  /** The answer to connect()'s first ask, until it arrives. */
  private connecting: { resolve: () => void; reject: (e: ConnbenchError) => void } | undefined;
  /** A request of ours is outstanding (dispatched and not yet answered or failed). */
  private inflight = false;
  /** The outstanding request's controller, once undici has put it on a connection. */
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private chunks: Buffer[] = [];
  private deadline: NodeJS.Timeout | undefined;
  private deadlineMs = 0;
  private nextAsk: NodeJS.Timeout | undefined;
  private detachSignal: (() => void) | undefined;

  constructor(
    private readonly o: ClientOptions,
    private readonly h: ClientHandler,
    private readonly mode: PollMode,
  ) {
    this.origin = httpOrigin(o);
    const every = mode.intervalMs > 0 ? `&every=${mode.intervalMs}` : '';
    this.tailQuery = `&user=${encodeURIComponent(o.user)}${every}`;
  }

  connect(signal?: AbortSignal): Promise<void> {
    if (this.connecting || this.subscribed || this.closed)
      return Promise.reject(transportError('CB_ERR_CONNECT', 'connect() may be called once per poll client'));
    const connected = new Promise<void>((resolve, reject) => (this.connecting = { resolve, reject }));
    if (signal?.aborted) {
      this.failConnect(transportError('CB_ERR_ABORTED', 'the connect was aborted'));
      return connected;
    }
    if (signal) {
      const onAbort = () => void this.close();
      signal.addEventListener('abort', onAbort, { once: true });
      // A worker-wide signal outlives many clients: do not let it keep closed ones alive.
      this.detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
    const resumeFrom = this.o.cursor;
    // The first ask never waits, even for long polling: a resume catches up at once and connect
    // time measures the connection, not the hold.
    this.ask(resumeFrom === null ? `/poll?${this.tailQuery.slice(1)}` : this.pollPath(resumeFrom, 0), 0);
    return connected;
  }

  send(m: Outgoing): void {
    postSend(this.o, m, (e) => this.h.onError(e));
  }

  close(): Promise<void> {
    if (this.connecting) this.failConnect(transportError('CB_ERR_ABORTED', 'the client was closed while connecting'));
    else this.end();
    return Promise.resolve();
  }

  // ---- undici's dispatch handler: one request at a time, so the state lives on this object ----

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Closed while undici was still connecting: cut the request now that it can be cut.
    if (this.closed || !this.inflight) return controller.abort(transportError('CB_ERR_ABORTED', 'the poll client was closed'));
    this.controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // Read every body, error or not: the connection is busy until it is consumed.
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (!this.inflight) return;
    const atUs = nowUs();
    this.inflight = false;
    this.controller = undefined;
    const chunks = this.chunks;
    this.chunks = [];
    if (this.closed) return;
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    if (this.status !== 200) return this.fail(errorOfResponse(this.status, text));
    const body = parsePollBody(text);
    if (body instanceof ConnbenchError) return this.fail(body);
    this.answered(body, atUs);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (!this.inflight) return;
    this.inflight = false;
    this.controller = undefined;
    this.chunks = [];
    if (this.closed) return;
    if (err instanceof ConnbenchError) return this.fail(err);
    this.fail(transportError(codeOfSocketError(err), `a poll request failed: ${err?.message ?? String(err)}`, err));
  }

  // ---- the loop ----

  private answered(body: PollBody, atUs: number): void {
    if (!this.subscribed) {
      this.subscribed = true;
      const settle = this.connecting!;
      this.connecting = undefined;
      this.h.onSubscribed(this.o.cursor ?? body.cursor, atUs);
      settle.resolve();
      // Closed by a handler that ran on the subscription.
      if (this.closed) return;
    }
    if (body.gap) this.h.onGap(body.gap, atUs);
    const messages = body.messages;
    for (let i = 0; i < messages.length; i++) this.h.onMessage(messages[i]!, atUs);
    if (this.mode.emptyIsHeartbeat && messages.length === 0 && !body.gap) this.h.onHeartbeat?.(atUs);
    this.cursor = body.cursor;
    if (!this.closed) this.scheduleNext();
  }

  private scheduleNext(): void {
    const intervalMs = this.mode.intervalMs;
    if (intervalMs <= 0) return this.poll();
    // One pause timer for the client's life, re-armed after each answer.
    if (this.nextAsk) this.nextAsk.refresh();
    else this.nextAsk = setTimeout(pollAgain, intervalMs, this);
  }

  /** @internal the pause timer's tick. */
  poll(): void {
    if (this.closed || this.inflight) return;
    this.ask(this.pollPath(this.cursor, this.mode.waitMs), this.mode.waitMs);
  }

  /**
   * Sends one request; its answer or failure comes back through the handler methods. The server
   * may hold it `waitMs`; no answer within that + the heartbeat timeout means a dead peer.
   */
  private ask(path: string, waitMs: number): void {
    this.inflight = true;
    this.status = 0;
    this.armDeadline(waitMs + this.o.heartbeat.timeoutMs);
    this.o.dispatcher.dispatch(
      // Our deadline is the one that counts; undici's own would fire on a long hold.
      // reset: undici sends `Connection: close` and closes the connection after the answer.
      { origin: this.origin, path, method: 'GET', headersTimeout: 0, bodyTimeout: 0, ...(this.mode.keepAlive ? {} : { reset: true }) },
      this,
    );
  }

  /** The dead-peer deadline of the request leaving now: one timer, re-armed rather than made per request. */
  private armDeadline(deadlineMs: number): void {
    if (this.deadline && this.deadlineMs === deadlineMs) {
      this.deadline.refresh();
      return;
    }
    clearTimeout(this.deadline);
    this.deadlineMs = deadlineMs;
    this.deadline = setTimeout(deadlinePassed, deadlineMs, this);
  }

  /** @internal the deadline timer's tick: it is left armed between requests, so an idle tick is ignored. */
  deadlinePassed(): void {
    if (this.closed || !this.inflight) return;
    // The same code as every other model's client watchdog: one name for "the peer is dead".
    const timeoutMs = this.o.heartbeat.timeoutMs;
    this.fail(
      transportError(
        'CB_ERR_HEARTBEAT_TIMEOUT',
        `no poll answer within ${this.deadlineMs} ms (wait ${this.deadlineMs - timeoutMs} ms + heartbeat timeout ${timeoutMs} ms): the server is unreachable or dead`,
      ),
    );
  }

  private pollPath(cursor: number, waitMs: number): string {
    return waitMs > 0 ? `/poll?cursor=${cursor}&wait=${waitMs}${this.tailQuery}` : `/poll?cursor=${cursor}${this.tailQuery}`;
  }

  /** A failure ends the loop: before the subscription connect() rejects with it, after it is reported. */
  private fail(e: ConnbenchError): void {
    if (this.connecting) return this.failConnect(e);
    this.h.onError(e);
    this.end();
  }

  private failConnect(e: ConnbenchError): void {
    const settle = this.connecting;
    this.connecting = undefined;
    this.end();
    settle?.reject(e);
  }

  /** Stops the loop, cuts the request in flight and reports onClose exactly once. */
  private end(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.nextAsk);
    clearTimeout(this.deadline);
    const controller = this.controller;
    this.controller = undefined;
    // Aborting an undici request destroys its socket: the server sees the connection go.
    if (this.inflight && controller && !controller.aborted)
      controller.abort(transportError('CB_ERR_ABORTED', 'the poll client was closed'));
    this.detachSignal?.();
    this.h.onClose(nowUs());
  }
}

function pollAgain(c: PollClient): void {
  c.poll();
}

function deadlinePassed(c: PollClient): void {
  c.deadlinePassed();
}
