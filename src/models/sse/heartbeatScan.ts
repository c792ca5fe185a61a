const LF = 10;
const CR = 13;
const COLON = 58;
const BOM = [0xef, 0xbb, 0xbf] as const;

function isLineEnd(b: number | undefined): boolean {
  return b === LF || b === CR;
}

/**
 * Counts the heartbeats in an event stream's bytes, chunk by chunk, for the reference client:
 * eventsource does not surface comments, and the transport hands over a heartbeat in the same chunk
 * as the events around it whenever they were written in one turn (undici joins the HTTP chunks of
 * one read). A heartbeat is a line that is exactly ":" (an empty comment, what SseParser reports
 * as onComment('')); only a comment line can start with a colon, so it is found from the bytes
 * alone: a colon with a line end (CR or LF) on both sides. Pure, two numbers of state; the colons
 * are found with indexOf, not a loop over every byte of the (long JSON) data lines.
 */
export class HeartbeatScanner {
  /** The last two bytes before the next chunk, older first; the stream's start counts as a line end. */
  private prev2 = 0;
  private prev1 = LF;
  /** Bytes of a leading byte-order mark still to skip (the parser drops it too); -1 past the start. */
  private bomLeft = 3;

  /** How many heartbeat lines end in this chunk. */
  count(chunk: Uint8Array): number {
    const from = this.bomLeft >= 0 ? this.skipBom(chunk) : 0;
    const len = chunk.length;
    if (from >= len) return 0;
    let n = 0;
    // Lines that began in earlier chunks: ":" then the line end in this one, or a line end then ":" and its end here.
    if (isLineEnd(this.prev2) && this.prev1 === COLON && isLineEnd(chunk[from])) n++;
    if (isLineEnd(this.prev1) && chunk[from] === COLON && isLineEnd(chunk[from + 1])) n++;
    for (let i = chunk.indexOf(COLON, from + 1); i !== -1; i = chunk.indexOf(COLON, i + 1))
      if (isLineEnd(chunk[i - 1]) && isLineEnd(chunk[i + 1])) n++;
    this.prev2 = len - from >= 2 ? chunk[len - 2]! : this.prev1;
    this.prev1 = chunk[len - 1]!;
    return n;
  }

  /** Where the chunk's bytes after a leading BOM start; a BOM cut short is ordinary bytes, not a line end. */
  private skipBom(chunk: Uint8Array): number {
    let i = 0;
    while (i < chunk.length && this.bomLeft > 0) {
      if (chunk[i] !== BOM[3 - this.bomLeft]) {
        if (this.bomLeft < 3) this.prev1 = 0;
        this.bomLeft = -1;
        return i;
      }
      i++;
      this.bomLeft--;
    }
    if (this.bomLeft === 0) this.bomLeft = -1;
    return i;
  }
}
