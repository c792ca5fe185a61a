import { encodeMessage, type WireMessage } from '../models/message.js';
import type { WithholdFilter } from './withhold.js';
import type { Gap, LogEntry, LogReader, LogSnapshot, ReadResult } from '../models/log.js';

/**
 * The message log: a ring buffer of the last `retention` messages. Sequence numbers start at 1;
 * cursor 0 means "before the first message". A cursor older than retention gets an explicit gap.
 */
export class MessageLog implements LogReader {
  readonly retention: number;
  private readonly ring: (LogEntry | undefined)[];
  private headSeq = 0;
  /** Per recipient: ascending seqs addressed to them, so expected counts are exact in chat. */
  private readonly addressed = new Map<string, number[]>();
  /** Every addressed seq, ascending: broadcast count = range size minus these. */
  private readonly addressedAll: number[] = [];
  private readonly listeners: ((e: LogEntry) => void)[] = [];
  /**
   * Test hook (src/server/withhold.ts): entries a reader must never get. readAfter and the hub
   * honour it; expectedCount does not, so what it withholds is reported as lost.
   */
  withheld: WithholdFilter | undefined;

  constructor(retention: number, startSeq = 0) {
    if (!Number.isInteger(retention) || retention < 1) throw new RangeError(`retention must be a positive integer, got ${retention}`);
    this.retention = retention;
    this.ring = new Array(retention);
    this.headSeq = startSeq;
  }

  /** The last sequence number published (0 before the first). */
  get head(): number {
    return this.headSeq;
  }

  /** The oldest sequence number still held. */
  get oldest(): number {
    return Math.max(1, this.headSeq - this.retention + 1);
  }

  append(m: Omit<WireMessage, 'seq'>): LogEntry {
    const seq = ++this.headSeq;
    const entry: LogEntry = { seq, t: m.t, json: encodeMessage({ ...m, seq }) };
    if (m.from !== undefined) entry.from = m.from;
    if (m.to !== undefined) {
      entry.to = m.to;
      let list = this.addressed.get(m.to);
      if (!list) this.addressed.set(m.to, (list = []));
      list.push(seq);
      this.addressedAll.push(seq);
    }
    this.ring[seq % this.retention] = entry;
    for (const l of this.listeners) l(entry);
    return entry;
  }

  /** Everything a replacement server needs to carry on from this log (a restart fault): plain data. */
  snapshot(): LogSnapshot {
    const entries: LogEntry[] = [];
    for (let seq = this.oldest; seq <= this.headSeq; seq++) entries.push(this.ring[seq % this.retention]!);
    return { retention: this.retention, head: this.headSeq, entries, addressed: [...this.addressed], addressedAll: [...this.addressedAll] };
  }

  /** Takes over a snapshot into this empty log: same head, same entries, same expected counts. */
  restore(snap: LogSnapshot): void {
    if (this.headSeq !== 0 || snap.retention !== this.retention)
      throw new RangeError(`restore needs an empty log of retention ${snap.retention}`);
    this.headSeq = snap.head;
    for (const e of snap.entries) this.ring[e.seq % this.retention] = e;
    for (const [user, seqs] of snap.addressed) this.addressed.set(user, [...seqs]);
    for (const seq of snap.addressedAll) this.addressedAll.push(seq);
  }

  /** Called synchronously for each appended entry, in order. */
  onAppend(listener: (e: LogEntry) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Whether a reader (user, or undefined for "everyone") receives this entry. */
  static isFor(entry: LogEntry, user: string | undefined): boolean {
    return entry.to === undefined || entry.to === user;
  }

  /**
   * Entries after `cursor` addressed to `user` (or broadcast), at most `max` of them.
   * A cursor beyond the head is treated as the head (the client is from a previous server life).
   */
  readAfter(cursor: number, user?: string, max = Infinity): ReadResult {
    const entries: LogEntry[] = [];
    let from = Math.min(cursor, this.headSeq) + 1;
    let gap: Gap | undefined;
    if (from < this.oldest) {
      gap = { fromSeq: from, toSeq: this.oldest - 1 };
      from = this.oldest;
    }
    let last = from - 1;
    for (let seq = from; seq <= this.headSeq && entries.length < max; seq++) {
      const e = this.ring[seq % this.retention]!;
      last = seq;
      if (MessageLog.isFor(e, user) && !this.withheld?.(seq, user)) entries.push(e);
    }
    const result: ReadResult = { entries, cursor: Math.max(last, Math.min(cursor, this.headSeq)) };
    if (gap) result.gap = gap;
    return result;
  }

  /**
   * How many messages a reader subscribed at `afterSeq` should have received by `upToSeq`:
   * broadcast messages plus those addressed to `user`.
   */
  expectedCount(afterSeq: number, upToSeq: number, user?: string): number {
    if (upToSeq <= afterSeq) return 0;
    const broadcast = upToSeq - afterSeq - this.countInList(this.addressedAll, afterSeq, upToSeq);
    const mine = user === undefined ? 0 : this.countInList(this.addressed.get(user), afterSeq, upToSeq);
    return broadcast + mine;
  }

  private countInList(list: number[] | undefined, afterSeq: number, upToSeq: number): number {
    if (!list) return 0;
    return upperBound(list, upToSeq) - upperBound(list, afterSeq);
  }
}

/** Index of the first element greater than x in an ascending array. */
function upperBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
