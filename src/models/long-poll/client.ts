import { request } from 'undici';
import type { ClientHandler, ClientOptions, ModelClient } from '../types.js';
import type { Outgoing } from '../message.js';
import { nowUs } from '../../metrics/clock.js';
import { ConnbenchError, codeOfSocketError, transportError } from '../../util/errors.js';
import { parsePollBody, type PollBody } from './pollBody.js';
import { errorOfResponse } from '../http/errorOfResponse.js';
import { postSend } from '../http/postSend.js';

/** What tells short polling from long polling on the client side. */
export interface PollMode {
  /** How long the server may hold each poll; 0 = short poll, answered at once. */
  waitMs: number;
  /** Pause between an answer and the next ask (started when the answer arrives); 0 = ask again at once. */
  intervalMs: number;
  /** Long polling's empty answer is its heartbeat; short polling's is just a poll. */
  emptyIsHeartbeat: boolean;
}

interface Answer {
  body: PollBody;
  /** When the body had been read, monotonic microseconds. */
  atUs: number;
}

/** One poll loop with exactly one request outstanding; ends (onClose once) at its first failure. */
export class PollClient implements ModelClient {
  private readonly baseUrl: string;
  private cursor = 0;
  private closed = false;
  private inflight: AbortController | undefined;
  private nextAsk: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private detachSignal: (() => void) | undefined;

  constructor(
    private readonly o: ClientOptions,
    private readonly h: ClientHandler,
    private readonly mode: PollMode,
  ) {
    this.baseUrl = `http://${o.host}:${o.httpPort}`;
  }

  async connect(signal?: AbortSignal): Promise<void> {
    if (signal) {
      const onAbort = () => void this.close();
      signal.addEventListener('abort', onAbort, { once: true });
      // A worker-wide signal outlives many clients: do not let it keep closed ones alive.
      this.detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
    const resumeFrom = this.o.cursor;
    // The first ask never waits, even for long polling: a resume catches up at once and connect
    // time measures the connection, not the hold.
    const path = resumeFrom === null ? `/poll?user=${this.userParam()}` : this.pollPath(resumeFrom, 0);
    let first: Answer;
    try {
      if (signal?.aborted) throw transportError('CB_ERR_ABORTED', 'the connect was aborted');
      first = await this.ask(path, this.o.heartbeat.timeoutMs);
    } catch (err) {
      // A close() during the connect aborts the request: report that, not the abort's side effect.
      const e = this.closed ? transportError('CB_ERR_ABORTED', 'the client was closed while connecting', err) : err;
      this.end();
      throw e;
    }
    // Closed while the body was read (onClose already reported).
    if (this.closed) throw transportError('CB_ERR_ABORTED', 'the client was closed while connecting');
    this.h.onSubscribed(resumeFrom ?? first.body.cursor, first.atUs);
    this.deliver(first);
    this.scheduleNext();
  }

  send(m: Outgoing): void {
    postSend(this.o, m, (e) => this.h.onError(e));
  }

  async close(): Promise<void> {
    this.end();
    await this.running;
  }

  private scheduleNext(): void {
    if (this.closed) return;
    if (this.mode.intervalMs <= 0) {
      this.running = this.pollOnce();
      return;
    }
    this.nextAsk = setTimeout(() => {
      this.nextAsk = undefined;
      this.running = this.pollOnce();
    }, this.mode.intervalMs);
  }

  /** Never rejects: a failure is reported and ends the loop. */
  private async pollOnce(): Promise<void> {
    if (this.closed) return;
    let answer: Answer;
    try {
      answer = await this.ask(this.pollPath(this.cursor, this.mode.waitMs), this.mode.waitMs + this.o.heartbeat.timeoutMs);
    } catch (err) {
      if (this.closed) return;
      this.h.onError(err as ConnbenchError);
      this.end();
      return;
    }
    // Closed while the body was read: the session may already resume elsewhere from our cursor.
    if (this.closed) return;
    this.deliver(answer);
    this.scheduleNext();
  }

  private deliver({ body, atUs }: Answer): void {
    if (body.gap) this.h.onGap(body.gap, atUs);
    const messages = body.messages;
    for (let i = 0; i < messages.length; i++) this.h.onMessage(messages[i]!, atUs);
    if (this.mode.emptyIsHeartbeat && messages.length === 0 && !body.gap) this.h.onHeartbeat?.(atUs);
    this.cursor = body.cursor;
  }

  /** One request; rejects with a ConnbenchError. The deadline is the dead-peer timeout. */
  private async ask(path: string, deadlineMs: number): Promise<Answer> {
    const ac = new AbortController();
    this.inflight = ac;
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, deadlineMs);
    try {
      const res = await request(this.baseUrl + path, {
        dispatcher: this.o.dispatcher,
        signal: ac.signal,
        // Our deadline is the one that counts; undici's own would fire on a long hold.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      // Read every body, error or not: undici keeps the connection busy until it is consumed.
      const text = await res.body.text();
      const atUs = nowUs();
      if (res.statusCode !== 200) throw errorOfResponse(res.statusCode, text);
      const body = parsePollBody(text);
      if (body instanceof ConnbenchError) throw body;
      return { body, atUs };
    } catch (err) {
      if (timedOut) throw transportError('CB_ERR_TIMEOUT', `no poll answer within ${deadlineMs} ms: the server is unreachable or dead`, err);
      if (err instanceof ConnbenchError) throw err;
      throw transportError(codeOfSocketError(err), `a poll request failed: ${(err as Error)?.message ?? String(err)}`, err);
    } finally {
      clearTimeout(deadline);
      if (this.inflight === ac) this.inflight = undefined;
    }
  }

  private pollPath(cursor: number, waitMs: number): string {
    const wait = waitMs > 0 ? `&wait=${waitMs}` : '';
    return `/poll?cursor=${cursor}${wait}&user=${this.userParam()}`;
  }

  private userParam(): string {
    return encodeURIComponent(this.o.user);
  }

  /** Stops the loop and reports onClose exactly once. */
  private end(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.nextAsk);
    this.inflight?.abort();
    this.detachSignal?.();
    this.h.onClose(nowUs());
  }
}
