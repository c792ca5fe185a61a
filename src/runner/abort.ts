import { setMaxListeners } from 'node:events';
import { runError } from '../util/errors.js';

/**
 * Between phases: once `signal` has aborted, nothing further starts. `what` names what was
 * interrupted in the error ('the run' → "the run was interrupted").
 */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw runError('CB_ERR_INTERRUPTED', `${what} was interrupted`);
}

/**
 * Lets `count` listeners wait on `signal` without Node's possible-leak warning, which comes at 10:
 * every forked child of a run (and every fault) listens for the interrupt.
 */
export function allowListeners(signal: AbortSignal | undefined, count: number): void {
  if (signal) setMaxListeners(count, signal);
}

/**
 * A part of a run that may end before the run does (its scenario faults): `signal` aborts with the
 * run's signal or at end(), so that no wait of the part outlives it.
 */
export class AbortScope {
  readonly signal: AbortSignal;
  private readonly ended = new AbortController();

  constructor(parent?: AbortSignal) {
    this.signal = parent ? AbortSignal.any([parent, this.ended.signal]) : this.ended.signal;
  }

  get aborted(): boolean {
    return this.signal.aborted;
  }

  end(): void {
    this.ended.abort();
  }
}
