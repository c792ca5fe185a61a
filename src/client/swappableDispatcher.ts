import type { Dispatcher } from 'undici';
import { OwnedDispatcher } from './dispatchers.js';

/**
 * A client's keep-alive connections that can be thrown away in one go. HTTP clients hold this for
 * their whole life; `swap()` closes every socket and later requests connect afresh through a new
 * dispatcher. Without it churn and reconnect storms would not touch short polling at all: its idle
 * keep-alive sockets would simply be reused. The caller aborts the poll or stream first; a chat
 * send still in flight is let finish (it has been written, so the server would see it anyway)
 * rather than turned into a loss that no real network drop would cause.
 *
 * The dispatcher is made on the first request, not before: thousands of clients that never make
 * one (a lean SSE client that never sends) then cost nothing here.
 */
export class SwappableDispatcher extends OwnedDispatcher {
  private current: Dispatcher | undefined;

  constructor(private readonly make: () => Dispatcher) {
    super();
  }

  /** Whether a dispatcher has been made (a request was made since the start or the last swap). */
  get made(): boolean {
    return this.current !== undefined;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return (this.current ??= this.make()).dispatch(opts, handler);
  }

  /** Closes every socket of the current dispatcher (idle ones at once); the next request makes a new one. */
  swap(): Promise<void> {
    const old = this.current;
    this.current = undefined;
    return old ? old.close().catch(() => undefined) : Promise.resolve();
  }

  protected closeOwn(): Promise<void> {
    return this.current ? this.current.close() : Promise.resolve();
  }

  protected destroyOwn(err: Error | null): Promise<void> {
    return this.current ? this.current.destroy(err) : Promise.resolve();
  }
}
