/**
 * The message log as the models see it: entries, gaps and reads. The log itself (a ring buffer)
 * belongs to the reference server (src/server/messageLog.ts); models only read it.
 */
/** One published message, encoded once and shared by every model that sends it. */
export interface LogEntry {
  seq: number;
  /** Scheduled time, monotonic microseconds. */
  t: number;
  from?: string;
  to?: string;
  /** The encoded message body of the wire contract (docs/contract.md). */
  json: string;
}

/** A log as plain data: what a server hands its replacement in a restart fault. */
export interface LogSnapshot {
  retention: number;
  head: number;
  /** The entries still held, oldest first. */
  entries: LogEntry[];
  addressed: [user: string, seqs: number[]][];
  addressedAll: number[];
}

/** Messages a cursor can no longer reach because retention dropped them: seqs fromSeq..toSeq. */
export interface Gap {
  fromSeq: number;
  toSeq: number;
}

export interface ReadResult {
  entries: LogEntry[];
  /** Set when the cursor is older than retention: the client must count these as lost. */
  gap?: Gap;
  /** The cursor to ask from next time (the head when nothing newer is addressed to the reader). */
  cursor: number;
}

/** What a model server reads from the log. */
export interface LogReader {
  /** The last sequence number published (0 before the first). */
  readonly head: number;
  /**
   * Entries after `cursor` addressed to `user` (or broadcast), at most `max` of them. A cursor
   * beyond the head is treated as the head; one older than retention gets a gap.
   */
  readAfter(cursor: number, user?: string, max?: number): ReadResult;
}
