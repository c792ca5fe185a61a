import { Dispatcher } from 'undici';

/**
 * A keep-alive pool that can be thrown away in one go. HTTP clients hold this for their whole
 * life; `swap()` closes every pooled socket and later requests connect afresh through a new pool.
 * Without it churn and reconnect storms would not touch short polling at all: its idle keep-alive
 * sockets would simply be reused. The caller aborts the poll or stream first; a chat send still
 * in flight is let finish (it has been written, so the server would see it anyway) rather than
 * turned into a loss that no real network drop would cause.
 */
export class SwappableDispatcher extends Dispatcher {
  private current: Dispatcher;

  constructor(private readonly make: () => Dispatcher) {
    super();
    this.current = make();
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.current.dispatch(opts, handler);
  }

  /** Closes every socket of the current pool (idle ones at once) and starts a new one. */
  swap(): Promise<void> {
    const old = this.current;
    this.current = this.make();
    return old.close().catch(() => undefined);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const p = this.current.close();
    if (!callback) return p;
    void p.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    const p = this.current.destroy(typeof a === 'function' ? null : (a ?? null));
    if (!callback) return p;
    void p.then(callback, callback);
  }
}
