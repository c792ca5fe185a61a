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
const COLON = 58;
const SPACE = 32;
const BOM = 0xfeff;
const DIGITS = /^[0-9]+$/;

export class SseParser {
  /** Survives end(): a reconnect sends it as Last-Event-ID. */
  lastEventId = '';
  private readonly h: SseParserHandlers;
  // ignoreBOM keeps a BOM in the decoded text so bytes and strings strip it in one place.
  private decoder = new TextDecoder('utf-8', { ignoreBOM: true });
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
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
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
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    this.atStreamStart = true;
    this.pendingLine = '';
    this.skipLeadingLf = false;
    this.data = '';
    this.hasData = false;
    this.eventType = '';
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
