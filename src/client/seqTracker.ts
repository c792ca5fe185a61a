/**
 * Per-client sequence bookkeeping: which seqs arrived (a bitset from the starting cursor, so a
 * client costs bits, not a Set entry, per message), duplicates and out-of-order arrivals.
 * lost = expected - unique is computed by the runner, which knows what was published.
 */
export class SeqTracker {
  /** The cursor the server gave on the first subscribe; undefined until then. */
  startCursor: number | undefined;
  /** The highest seq seen (or the latest cursor the server gave): where a reconnect resumes. */
  cursor: number | undefined;
  unique = 0;
  duplicates = 0;
  reordered = 0;
  /** Messages the server said retention dropped (gap signal), counted by the client. */
  gapped = 0;
  private bits = new Uint8Array(0);

  subscribed(cursor: number): void {
    if (this.startCursor === undefined) this.startCursor = cursor;
    // A fresh "from now" subscribe after a lost cursor (resume: none) moves the cursor forward.
    if (this.cursor === undefined || cursor > this.cursor) this.cursor = cursor;
  }

  /** Records one arrival; returns false for a duplicate (the caller then skips latency). */
  receive(seq: number): boolean {
    const base = this.startCursor ?? 0;
    const i = seq - base - 1;
    if (i < 0) {
      // Older than where we started: cannot be expected, count it as a duplicate delivery.
      this.duplicates++;
      return false;
    }
    const byte = i >>> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2, 16));
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (i & 7);
    if (this.bits[byte]! & mask) {
      this.duplicates++;
      return false;
    }
    this.bits[byte]! |= mask;
    this.unique++;
    if (this.cursor !== undefined && seq < this.cursor) this.reordered++;
    if (this.cursor === undefined || seq > this.cursor) this.cursor = seq;
    return true;
  }

  /** The server moved the cursor on (an empty poll answer, a gap): nothing before it will come. */
  advance(cursor: number): void {
    if (this.cursor === undefined || cursor > this.cursor) this.cursor = cursor;
  }

  gap(fromSeq: number, toSeq: number): void {
    this.gapped += Math.max(0, toSeq - fromSeq + 1);
    this.advance(toSeq);
  }
}
