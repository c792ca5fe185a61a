import type { ClientHandler, HeartbeatSettings } from '../types.js';
import type { Gap } from '../log.js';
import { ConnbenchError, transportError } from '../../util/errors.js';
import { nowUs } from '../../metrics/clock.js';

/**
 * The part every push client (one long-lived connection) shares: settling connect() once, calling
 * onClose exactly once whatever ends the connection, the liveness watchdog and the abort signal.
 * The transport calls in with what happened; it supplies `cut`, which cuts its socket and says
 * whether there was one: with none yet there is nothing to close, so the lifecycle ends itself.
 *
 * Errors before the subscription are not reported through onError: connect() rejects with them and
 * the session counts the rejection, so counting both would count one failure twice.
 */
export class ClientLifecycle {
  subscribed = false;
  ended = false;
  /** Monotonic µs of the last data or ping; the watchdog compares against it. */
  private lastHeardUs = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly silenceLimitMs: number;
  private failure: ConnbenchError | undefined;
  private settle: { resolve: () => void; reject: (e: ConnbenchError) => void } | undefined;
  private readonly whenClosed: Promise<void>;
  private resolveClosed!: () => void;
  private detachSignal: (() => void) | undefined;
  private readonly h: ClientHandler;
  private readonly cut: () => boolean;

  constructor(h: ClientHandler, heartbeat: HeartbeatSettings, cut: () => boolean) {
    this.h = h;
    this.cut = cut;
    // The server pings every interval and gives up after timeout: silence longer than both is a dead link.
    this.silenceLimitMs = heartbeat.intervalMs + heartbeat.timeoutMs;
    this.whenClosed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Starts the watchdog and returns the promise connect() resolves when subscribed. */
  begin(signal: AbortSignal | undefined): Promise<void> {
    const connected = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // Nobody may be awaiting connect() when a close wins the race; the rejection is still handled.
    connected.catch(() => undefined);
    if (this.ended) {
      // close() came first: there is nothing to connect.
      this.settle?.reject(this.failure ?? transportError('CB_ERR_ABORTED', 'the client was closed before it connected'));
      return connected;
    }
    this.heard(nowUs());
    if (this.silenceLimitMs > 0 && Number.isFinite(this.silenceLimitMs)) this.arm(this.silenceLimitMs);
    if (signal) {
      // An abort is the worker shutting down, not a failure to count: it closes like close() does.
      const onAbort = () => {
        this.failure ??= transportError('CB_ERR_ABORTED', 'the connect was aborted');
        void this.close();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // A worker-wide signal outlives many clients: do not let it keep ended ones alive.
      this.detachSignal = () => signal.removeEventListener('abort', onAbort);
      if (signal.aborted) onAbort();
    }
    return connected;
  }

  heard(atUs: number): void {
    this.lastHeardUs = atUs;
  }

  subscribedAt(cursor: number, atUs: number): void {
    if (this.ended || this.subscribed) return;
    this.subscribed = true;
    this.h.onSubscribed(cursor, atUs);
    this.settle?.resolve();
  }

  gap(gap: Gap, atUs: number): void {
    if (!this.ended) this.h.onGap(gap, atUs);
  }

  /** An error the connection may survive (after subscribing it is counted, before it fails connect). */
  error(e: ConnbenchError): void {
    if (this.ended) return;
    if (this.subscribed) this.h.onError(e);
    else this.failure ??= e;
  }

  /** An error that ends the connection: reported once, then the socket is cut. */
  abort(e: ConnbenchError): void {
    if (this.ended) return;
    this.error(e);
    this.failure ??= e;
    this.terminate();
  }

  /** Cuts the transport; its close event then ends the lifecycle, or, with no transport yet, this does. */
  private terminate(): void {
    if (!this.cut()) this.end(nowUs());
  }

  /** The socket is gone: onClose once, and connect() rejects if it never subscribed. */
  end(atUs: number): void {
    if (this.ended) return;
    this.ended = true;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.detachSignal?.();
    this.detachSignal = undefined;
    this.h.onClose(atUs);
    if (!this.subscribed) {
      const why = this.failure ?? transportError('CB_ERR_CLOSED', 'the server closed the connection before subscribing the client');
      this.settle?.reject(why);
    }
    this.resolveClosed();
  }

  /** Closes from our side; resolves once onClose has been called. */
  close(): Promise<void> {
    if (!this.ended) {
      // Not an error to count: the failure only names why connect() did not finish.
      this.failure ??= transportError('CB_ERR_ABORTED', 'the client was closed before it subscribed');
      this.terminate();
    }
    return this.whenClosed;
  }

  private arm(delayMs: number): void {
    this.watchdog = setTimeout(checkSilence, delayMs, this);
    this.watchdog.unref();
  }

  /** @internal the watchdog's tick: re-arms for the remaining time instead of resetting per message. */
  checkSilence(): void {
    this.watchdog = undefined;
    if (this.ended) return;
    const silentMs = (nowUs() - this.lastHeardUs) / 1000;
    if (silentMs < this.silenceLimitMs) return this.arm(this.silenceLimitMs - silentMs);
    const message = `nothing arrived from the server for ${Math.round(silentMs)} ms (heartbeat interval + timeout)`;
    this.abort(transportError('CB_ERR_HEARTBEAT_TIMEOUT', message));
  }
}

function checkSilence(l: ClientLifecycle): void {
  l.checkSilence();
}
