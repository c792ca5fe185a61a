/**
 * An incremental `text/event-stream` parser following the WHATWG HTML spec (9.2.6, "Interpreting an
 * event stream"). Pure: it does no I/O and keeps no timers; bytes or text go in through feed(),
 * events, comments and retry values come out through callbacks, in stream order. Chunks may split
 * anywhere: inside a UTF-8 sequence, a BOM, a field name, or between the CR and LF of a CRLF.
 */

export interface SseEvent {
  /** The `event:` field, or "message" when none was given. */
  type: string;
  /** The `data:` lines joined by "\n". */
  data: string;
  /** The last event ID buffer at dispatch (it persists across events, as the spec says). */
  lastEventId: string;
}

export interface SseParserHandlers {
  onEvent(e: SseEvent): void;
  /** A line starting with ":"; `text` is what follows the colon (heartbeats are empty comments). */
  onComment?(text: string): void;
  /** A `retry:` field made only of ASCII digits: the reconnection time in milliseconds. */
  onRetry?(ms: number): void;
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const BOM = 0xfeff;
const DIGITS = /^[0-9]+$/;

/**
 * One decoder for every parser: each feed decodes whole UTF-8 sequences only (an unfinished one is
 * carried to the next chunk), so no per-stream decoder state is needed. A TextDecoder per stream
 * costs about 900 bytes of RSS, an eighth of a lean client's whole connection.
 */
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

export class SseParser {
  /** Survives end(): a reconnect sends it as Last-Event-ID. */
  lastEventId = '';
  private readonly h: SseParserHandlers;
  /** The first bytes of a UTF-8 sequence the previous chunk cut off; usually undefined. */
  private carry: Uint8Array | undefined;
  private atStreamStart = true;
  /** A line whose terminator has not arrived yet. */
  private pendingLine = '';
  /** The previous chunk ended in CR: a leading LF in the next one belongs to that CRLF. */
  private skipLeadingLf = false;
  private data = '';
  private hasData = false;
  private eventType = '';
  private idBuffer = '';

  constructor(handlers: SseParserHandlers) {
    this.h = handlers;
  }

  feed(chunk: string | Uint8Array): void {
    let text = typeof chunk === 'string' ? chunk : this.decode(chunk);
    if (text.length === 0) return;
    if (this.atStreamStart) {
      this.atStreamStart = false;
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    this.scan(text);
  }

  /**
   * The stream ended: an unterminated line and an undispatched event are discarded (spec: "any
   * pending data must be discarded"). The parser is then ready for the next stream.
   */
  end(): void {
    this.carry = undefined;
    this.atStreamStart = true;
    this.pendingLine = '';
    this.skipLeadingLf = false;
    this.data = '';
    this.hasData = false;
    this.eventType = '';
  }

  /**
   * Bytes → text, cutting before a trailing sequence that is not finished yet. Cutting right before
   * a byte that is not a continuation byte gives the same characters as decoding the bytes joined,
   * invalid sequences included (the decoder restarts at such a byte either way).
   */
  private decode(chunk: Uint8Array): string {
    let bytes = chunk;
    if (this.carry) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
      this.carry = undefined;
    }
    const cut = unfinishedTailStart(bytes);
    if (cut < bytes.length) this.carry = bytes.slice(cut);
    return UTF8.decode(cut === bytes.length ? bytes : bytes.subarray(0, cut));
  }

  private scan(text: string): void {
    let pos = 0;
    if (this.skipLeadingLf) {
      this.skipLeadingLf = false;
      if (text.charCodeAt(0) === LF) pos = 1;
    }
    // Two cached indexOf scans instead of a per-character loop: the lines are long JSON bodies.
    let lf = text.indexOf('\n', pos);
    let cr = text.indexOf('\r', pos);
    while (lf !== -1 || cr !== -1) {
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      const piece = text.slice(pos, end);
      const line = this.pendingLine.length > 0 ? this.pendingLine + piece : piece;
      this.pendingLine = '';
      pos = end + 1;
      if (text.charCodeAt(end) === CR) {
        if (pos === text.length) this.skipLeadingLf = true;
        else if (text.charCodeAt(pos) === LF) pos++;
      }
      this.line(line);
      if (lf !== -1 && lf < pos) lf = text.indexOf('\n', pos);
      if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos);
    }
    if (pos < text.length) this.pendingLine += text.slice(pos);
  }

  private line(line: string): void {
    if (line.length === 0) return this.dispatch();
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.h.onComment?.(line.slice(1));
      return;
    }
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === SPACE ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        // The spec ignores an id containing NUL, so a reconnect never sends one in a header.
        if (!value.includes('\0')) this.idBuffer = value;
        break;
      case 'retry':
        if (DIGITS.test(value)) this.h.onRetry?.(Number(value));
        break;
      default:
      // Unknown fields are ignored.
    }
  }

  private dispatch(): void {
    this.lastEventId = this.idBuffer;
    if (!this.hasData) {
      this.eventType = '';
      return;
    }
    const e: SseEvent = { type: this.eventType || 'message', data: this.data, lastEventId: this.lastEventId };
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    this.h.onEvent(e);
  }
}

/** Where a trailing UTF-8 sequence that needs more bytes starts; bytes.length when none does. */
export function unfinishedTailStart(bytes: Uint8Array): number {
  const n = bytes.length;
  // A sequence is at most 4 bytes: its lead byte is among the last 3 if it is unfinished.
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const b = bytes[i]!;
    if (b < 0x80) return n;
    if (b < 0xc0) continue; // a continuation byte: the lead is further back
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 1;
    return n - i < length ? i : n;
  }
  return n;
}
