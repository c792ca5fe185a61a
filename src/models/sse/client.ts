import type { EventSource, FetchLike, FetchLikeResponse, ReaderLike } from 'eventsource';
import type { fetch as undiciFetch } from 'undici';
import type { ClientHandler, ClientOptions, ModelClient } from '../types.js';
import type { Outgoing } from '../message.js';
import { ConnbenchError, codeOfSocketError, transportError } from '../../util/errors.js';
import { nowUs } from '../../metrics/clock.js';
import { postSend } from '../http/postSend.js';
import { errorOfResponse } from '../http/errorOfResponse.js';
import { gapOf, helloOf, messageOf } from './eventData.js';
import { echoHeartbeat } from './echo.js';
import { HeartbeatScanner } from './heartbeatScan.js';
import { httpOrigin } from '../transport.js';
import { lazyPackage } from '../../util/lazyPackage.js';

const eventsource = lazyPackage<typeof import('eventsource')>('eventsource');
const undici = lazyPackage<typeof import('undici')>('undici');

type State = 'idle' | 'connecting' | 'open' | 'closed';

/**
 * The reference SSE client, on the `eventsource` package, as a browser-like client would be.
 * Reconnecting is the session's job, not eventsource's: on the first error the EventSource is
 * closed so it never retries by itself.
 *
 * Errors before `hello` reject connect() and are not also passed to onError, so a session counts
 * each failed attempt once; after `hello` they go to onError. onClose follows either exactly once.
 */
export class SseClient implements ModelClient {
  private readonly o: ClientOptions;
  private readonly h: ClientHandler;
  private state: State = 'idle';
  private es: EventSource | undefined;
  private settleConnect: ((err?: ConnbenchError) => void) | undefined;
  /** What our fetch saw go wrong, which eventsource's error event does not carry (codes, causes). */
  private cause: ConnbenchError | undefined;
  /** performance.now() of the last byte received; the watchdog reads it, each chunk only writes it. */
  private lastByteMs = 0;
  private watchdog: NodeJS.Timeout | undefined;
  /** The stream id the hello named: heartbeats are echoed for it (frames.ts helloFrame); undefined = no echo. */
  private echoStream: number | undefined;

  constructor(o: ClientOptions, h: ClientHandler) {
    this.o = o;
    this.h = h;
  }

  connect(signal?: AbortSignal): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(transportError('CB_ERR_CONNECT', 'connect() may be called once per SSE client'));
    this.state = 'connecting';
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => this.fail(transportError('CB_ERR_ABORTED', 'the connect was aborted'));
      this.settleConnect = (err) => {
        this.settleConnect = undefined;
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.startWatchdog();
      const es = new (eventsource().EventSource)(this.url(), { fetch: this.fetchVia });
      this.es = es;
      es.addEventListener('hello', (e) => this.onHello(e.data));
      es.addEventListener('message', (e) => this.onEventMessage(e.data));
      es.addEventListener('gap', (e) => this.onGapEvent(e.data));
      es.addEventListener('error', (e) => this.fail(this.cause ?? errorOfEvent(e as { code?: number; message?: string })));
    });
  }

  send(m: Outgoing): void {
    postSend(this.o, m, (e) => this.h.onError(e));
  }

  async close(): Promise<void> {
    if (this.state === 'idle') this.state = 'closed';
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.shutdown();
    if (!wasOpen) this.settleConnect?.(transportError('CB_ERR_ABORTED', 'the client was closed before it subscribed'));
    this.h.onClose(nowUs());
  }

  private url(): string {
    const base = `${httpOrigin(this.o)}/events?user=${encodeURIComponent(this.o.user)}`;
    return this.o.cursor !== null ? `${base}&cursor=${this.o.cursor}` : base;
  }

  /** eventsource's fetch: undici on the worker's pool, with the body tapped for the watchdog. */
  private readonly fetchVia: FetchLike = async (url, init) => {
    let res: Awaited<ReturnType<typeof undiciFetch>>;
    try {
      res = await undici().fetch(url, { headers: init.headers, signal: init.signal, dispatcher: this.o.dispatcher });
    } catch (err) {
      this.cause ??= causeOf(err, 'the event stream request failed');
      throw err;
    }
    this.lastByteMs = performance.now();
    const { status, url: resUrl, redirected, headers } = res;
    if (status !== 200) {
      // eventsource only reports the status; the body names the reason (CB_ERR_BAD_CURSOR, …).
      this.cause ??= await httpErrorOf(res);
      return { status, url: resUrl, redirected, headers, body: null } satisfies FetchLikeResponse;
    }
    const body = res.body;
    return { status, url: resUrl, redirected, headers, body: body && { getReader: () => this.tap(body.getReader()) } };
  };

  /**
   * Notes the time of every chunk. eventsource does not surface comments, so heartbeats are only
   * visible here, found by a scanner because a chunk may hold events and heartbeats together. A
   * chunk's heartbeats are reported when eventsource asks for the next chunk, right after it has
   * dispatched this one's events: a hello and a heartbeat in one chunk then arrive in stream order,
   * and the heartbeat is echoed for the stream the hello named. A reader wrapper rather than a
   * TransformStream: no second stream and queue per client, just one `then` per chunk.
   */
  private tap(reader: ReadableStreamDefaultReader<Uint8Array>): ReaderLike {
    const heartbeats = new HeartbeatScanner();
    let unreported = 0;
    return {
      read: () => {
        for (; unreported > 0; unreported--) this.onHeartbeat();
        return reader.read().then(
          (r) => {
            this.lastByteMs = performance.now();
            if (!r.done) unreported = heartbeats.count(r.value);
            return r;
          },
          (err: unknown) => {
            if (this.state !== 'closed') this.cause ??= causeOf(err, 'the event stream broke');
            throw err;
          },
        );
      },
      cancel: () => reader.cancel(),
    };
  }

  private onHello(data: string): void {
    if (this.state !== 'connecting') return;
    const hello = helloOf(data);
    if (hello instanceof ConnbenchError) return this.fail(hello);
    this.state = 'open';
    this.echoStream = hello.stream;
    this.h.onSubscribed(hello.cursor, nowUs());
    this.settleConnect?.();
  }

  private onHeartbeat(): void {
    if (this.state === 'closed') return;
    this.h.onHeartbeat?.(nowUs());
    if (this.echoStream !== undefined) echoHeartbeat(this.o, this.echoStream, this.onEchoError);
  }

  /** An echo that fails after the stream has ended is no longer this client's concern. */
  private readonly onEchoError = (e: ConnbenchError): void => {
    if (this.state === 'open') this.h.onError(e);
  };

  private onEventMessage(data: string): void {
    // Stamp first: parsing is the client's cost, not the transport's latency.
    const atUs = nowUs();
    if (this.state !== 'open') return;
    const m = messageOf(data);
    if (m instanceof ConnbenchError) this.h.onError(m);
    else this.h.onMessage(m, atUs);
  }

  private onGapEvent(data: string): void {
    if (this.state !== 'open') return;
    const gap = gapOf(data);
    if (gap instanceof ConnbenchError) this.h.onError(gap);
    else this.h.onGap(gap, nowUs());
  }

  /** Dead-peer detection: one timer per client that re-arms for the remaining time, not per byte. */
  private startWatchdog(): void {
    const limitMs = this.o.heartbeat.intervalMs + this.o.heartbeat.timeoutMs;
    if (!(limitMs > 0) || !Number.isFinite(limitMs)) return;
    this.lastByteMs = performance.now();
    const check = () => {
      const idleMs = performance.now() - this.lastByteMs;
      if (idleMs >= limitMs)
        return this.fail(
          transportError(
            'CB_ERR_HEARTBEAT_TIMEOUT',
            `nothing arrived for ${Math.round(idleMs)} ms (heartbeat interval + timeout = ${limitMs} ms)`,
          ),
        );
      this.watchdog = setTimeout(check, limitMs - idleMs);
      this.watchdog.unref();
    };
    this.watchdog = setTimeout(check, limitMs);
    this.watchdog.unref();
  }

  private fail(err: ConnbenchError): void {
    if (this.state === 'closed' || this.state === 'idle') return;
    const wasOpen = this.state === 'open';
    this.shutdown();
    if (wasOpen) this.h.onError(err);
    else this.settleConnect?.(err);
    this.h.onClose(nowUs());
  }

  private shutdown(): void {
    this.state = 'closed';
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.es?.close();
  }
}

/** undici wraps socket errors (`fetch failed`, `terminated`) around the one that has the code. */
function causeOf(err: unknown, what: string): ConnbenchError {
  const inner = (err as { cause?: unknown } | null)?.cause ?? err;
  return transportError(codeOfSocketError(inner), `${what}: ${(inner as Error)?.message ?? inner}`, err);
}

async function httpErrorOf(res: Awaited<ReturnType<typeof undiciFetch>>): Promise<ConnbenchError> {
  return errorOfResponse(res.status, await res.text().catch(() => ''));
}

/** An error event with no cause of ours: a status eventsource rejected, or the stream ended. */
function errorOfEvent(e: { code?: number; message?: string }): ConnbenchError {
  if (e.code === 200) return transportError('CB_ERR_PROTOCOL', e.message ?? 'the response was not an event stream');
  if (e.code !== undefined) return transportError(`CB_ERR_HTTP_${e.code}`, e.message ?? `GET /events answered ${e.code}`);
  return transportError('CB_ERR_STREAM_ENDED', 'the server ended the event stream');
}
