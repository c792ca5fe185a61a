/**
 * The slow-reader rule every server write goes by: a connection whose unsent bytes (the socket's
 * writableLength) pass the limit by more than its allowance is cut. The allowance is what the
 * server wrote to it in the last write turn that found it caught up (at or under the limit): a
 * resume's backlog, a burst after a stall or a large message are written in one turn and may take
 * the reader a while, but a reader falls behind the limit only by not reading. Pure.
 */
export interface QueueWatched {
  /** Bytes written in the last write turn that found this connection caught up. */
  queueAllowanceBytes: number;
}

export type QueueVerdict = 'caught-up' | 'behind' | 'slow';

export function queueVerdict(conn: QueueWatched, queuedBytes: number, limitBytes: number): QueueVerdict {
  if (queuedBytes <= limitBytes) return 'caught-up';
  return queuedBytes > limitBytes + conn.queueAllowanceBytes ? 'slow' : 'behind';
}

/** The limit a server writes under, and what it does with a reader past it (cut and count). */
export interface QueueLimit<C> {
  queueBytes: number;
  cut(conn: C): void;
}
