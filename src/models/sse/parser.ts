/**
 * An incremental `text/event-stream` parser following the WHATWG HTML spec (9.2.6, "Interpreting an
 * event stream"). Pure: it does no I/O and keeps no timers; bytes or text go in through feed() (or
 * a range of a chunk through feedBytes()), events, comments and retry values come out through
 * callbacks, in stream order. Chunks may split anywhere: inside a UTF-8 sequence, a BOM, a field
 * name, or between the CR and LF of a CRLF.
 */

export interface SseEvent {
  /** The `event:` field, or "message" when none was given. */
  type: string;
  /** The `data:` lines joined by "\n". */
  data: string;
  /** The last event ID buffer at dispatch (it persists across events, as the spec says). */
  lastEventId: string;
}

export interface SseParserOptions {
  /** The most bytes (characters, fed as text) an unfinished line and an event's data may hold; none by default. */
  limit?: number;
  /**
   * false: `id:` lines are ignored and every event's lastEventId is ''. For a client that resumes
   * from a cursor of its own rather than by Last-Event-ID, which then never pays for a string per
   * event it would not read (60-100 ns an event in bench/micro/sseDecode.mjs). Default true.
   */
  ids?: boolean;
}

export interface SseParserHandlers {
  onEvent(e: SseEvent): void;
  /** A line starting with ":"; `text` is what follows the colon (heartbeats are empty comments). */
  onComment?(text: string): void;
  /** A `retry:` field made only of ASCII digits: the reconnection time in milliseconds. */
  onRetry?(ms: number): void;
  /**
   * A line, or an event's data, grew past the parser's limit: the parser has stopped and ignores
   * the rest of the stream until end(). Without a limit, a server that never ends a line would
   * make the client hold all it sends.
   */
  onTooLarge?(limit: number): void;
  /**
   * A `message` event whose data is one `data:` line, fed as bytes, and whose blank line came in the
   * same feedBytes() call as the end of that line: its value as the bytes from `start` to `end` of
   * `bytes`, valid until this returns, instead of onEvent with a string made of them. A client that
   * reads the value in place (decodeEnvelopeBytes) then makes no string per event. Every other
   * event still goes to onEvent.
   */
  onMessageBytes?(bytes: Buffer, start: number, end: number): void;
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const COLON = 58;
const BOM = 0xfeff;
const BOM_BYTES = [0xef, 0xbb, 0xbf] as const;
const DIGITS = /^[0-9]+$/;

/** The fields the spec acts on; every other name is ignored. */
const Field = { Other: 0, Data: 1, Event: 2, Id: 3, Retry: 4 } as const;
type Field = (typeof Field)[keyof typeof Field];

export class SseParser {
  /** Survives end(): a reconnect sends it as Last-Event-ID. */
  lastEventId = '';
  private readonly h: SseParserHandlers;
  private atStreamStart = true;
  /** Text of a line whose terminator has not arrived yet (a stream fed as strings). */
  private pendingLine = '';
  /** Copies of the bytes of a line whose terminator has not arrived yet (a stream fed as bytes). */
  private pendingBytes: Buffer[] | undefined;
  /** The previous chunk ended in CR: a leading LF in the next one belongs to that CRLF. */
  private skipLeadingLf = false;
  private data = '';
  private hasData = false;
  /** The event's only data line so far, not yet decoded (onMessageBytes): its bytes from dataStart to dataEnd. */
  private dataBytes: Buffer | undefined;
  private dataStart = 0;
  private dataEnd = 0;
  private eventType = '';
  private idBuffer = '';
  /** Bytes (characters, fed as text) held for the unfinished line; the event's data counts beside them. */
  private pendingUnits = 0;
  private readonly limit: number;
  /** Whether `id:` values are read at all (SseParserOptions.ids). */
  private readonly ids: boolean;
  /** Set once the limit was passed: everything up to end() is ignored. */
  private stopped = false;

  constructor(handlers: SseParserHandlers, options: SseParserOptions = {}) {
    this.h = handlers;
    this.limit = options.limit ?? Infinity;
    this.ids = options.ids ?? true;
  }

  /** The stream's next text or bytes; a stream is fed one or the other, not both. */
  feed(chunk: string | Uint8Array): void {
    if (typeof chunk !== 'string') return this.feedBytes(asBuffer(chunk), 0, chunk.length);
    if (this.stopped) return;
    let text = chunk;
    if (text.length === 0) return;
    if (this.atStreamStart) {
      this.atStreamStart = false;
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    this.scan(text);
  }

  /**
   * The stream's bytes from `start` to `end` of `bytes`, read in place: only a complete line's field
   * value is decoded, straight from the chunk to a flat string, unless it is a message's only data
   * line that onMessageBytes reads as bytes; only a line whose end has not arrived is copied.
   * Decoding line by line gives the same characters as decoding the whole stream at once: every
   * line ends at an ASCII byte, where a UTF-8 decoder starts afresh, invalid or unfinished
   * sequences before it included.
   */
  feedBytes(bytes: Buffer, start: number, end: number): void {
    this.feedRange(bytes, start, end);
    // An event whose blank line is still to come keeps its data as text: the chunk is not ours to keep.
    if (this.dataBytes) this.decodeDataBytes();
  }

  private feedRange(bytes: Buffer, start: number, end: number): void {
    if (this.stopped) return;
    let pos = start;
    if (this.skipLeadingLf && pos < end) {
      this.skipLeadingLf = false;
      if (bytes[pos] === LF) pos++;
    }
    // Cached searches as in scan(); a CR is rare in a stream, so its one search usually lands past `end`.
    let lf = bytes.indexOf(LF, pos);
    let cr = bytes.indexOf(CR, pos);
    while (pos < end && !this.stopped) {
      const eol = lineEndOf(lf, cr, end);
      if (eol === -1) return this.holdBytes(bytes, pos, end);
      if (this.pendingBytes) this.joinedLine(bytes, pos, eol);
      else this.lineAt(bytes, pos, eol);
      pos = eol + 1;
      if (bytes[eol] === CR) {
        if (pos === end) this.skipLeadingLf = true;
        else if (bytes[pos] === LF) pos++;
      }
      // The range is done: no search for a line after it (an event's chunk ends with its blank line).
      if (pos >= end) return;
      if (lf !== -1 && lf < pos) lf = bytes.indexOf(LF, pos);
      if (cr !== -1 && cr < pos) cr = bytes.indexOf(CR, pos);
    }
  }

  /**
   * The stream ended: an unterminated line and an undispatched event are discarded (spec: "any
   * pending data must be discarded"). The parser is then ready for the next stream.
   */
  end(): void {
    this.stopped = false;
    this.pendingUnits = 0;
    this.atStreamStart = true;
    this.pendingLine = '';
    this.pendingBytes = undefined;
    this.skipLeadingLf = false;
    this.data = '';
    this.dataBytes = undefined;
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
    while ((lf !== -1 || cr !== -1) && !this.stopped) {
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      const piece = text.slice(pos, end);
      const line = this.pendingLine.length > 0 ? this.pendingLine + piece : piece;
      this.pendingLine = '';
      this.pendingUnits = 0;
      pos = end + 1;
      if (text.charCodeAt(end) === CR) {
        if (pos === text.length) this.skipLeadingLf = true;
        else if (text.charCodeAt(pos) === LF) pos++;
      }
      this.line(line);
      if (lf !== -1 && lf < pos) lf = text.indexOf('\n', pos);
      if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos);
    }
    if (pos < text.length && !this.stopped && this.holds(text.length - pos)) this.pendingLine += text.slice(pos);
  }

  /** A complete line of text, without its terminator. */
  private line(line: string): void {
    if (line.length === 0) return this.dispatch();
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.h.onComment?.(line.slice(1));
      return;
    }
    const field = fieldNamed(colon === -1 ? line : line.slice(0, colon));
    if (field === Field.Id && !this.ids) return;
    if (colon === -1) return this.field(field, '');
    this.field(field, line.charCodeAt(colon + 1) === SPACE ? line.slice(colon + 2) : line.slice(colon + 1));
  }

  /** A complete line from `start` to `end` of `b`, without its terminator: line() on bytes. */
  private lineAt(b: Buffer, start: number, end: number): void {
    let from = start;
    if (this.atStreamStart) {
      this.atStreamStart = false;
      if (end - from >= 3 && b[from] === BOM_BYTES[0] && b[from + 1] === BOM_BYTES[1] && b[from + 2] === BOM_BYTES[2]) from += 3;
    }
    if (from === end) return this.dispatch();
    let colon = from;
    while (colon < end && b[colon] !== COLON) colon++;
    if (colon === from) {
      this.h.onComment?.(b.toString('utf8', from + 1, end));
      return;
    }
    const field = fieldAt(b, from, colon);
    // An ignored field's value is never decoded.
    if (field === Field.Other || (field === Field.Id && !this.ids)) return;
    // A line without a colon is a field with an empty value.
    const valueStart = Math.min(end, colon + 1 < end && b[colon + 1] === SPACE ? colon + 2 : colon + 1);
    if (field === Field.Data && this.keepsDataBytes(end - valueStart)) {
      this.dataBytes = b;
      this.dataStart = valueStart;
      this.dataEnd = end;
      this.hasData = true;
      return;
    }
    this.field(field, valueStart < end ? b.toString('utf8', valueStart, end) : '');
  }

  /**
   * Whether a data line of `bytes` can wait undecoded for onMessageBytes: the event's first, and
   * within the limit even counted in bytes (its characters never outnumber its bytes), so that the
   * limit stops the parser exactly where the string path would. No unfinished line is held while a
   * complete one is read, so the line's own size is all there is to count.
   */
  private keepsDataBytes(bytes: number): boolean {
    return this.h.onMessageBytes !== undefined && !this.hasData && bytes <= this.limit;
  }

  /** The undecoded data line (keepsDataBytes) becomes the event's data text. */
  private decodeDataBytes(): void {
    this.data = this.dataBytes!.toString('utf8', this.dataStart, this.dataEnd);
    this.dataBytes = undefined;
  }

  /** The line that ends at `eol` began in earlier chunks: join its pieces once. */
  private joinedLine(bytes: Buffer, pos: number, eol: number): void {
    const pieces = this.pendingBytes!;
    this.pendingBytes = undefined;
    this.pendingUnits = 0;
    pieces.push(bytes.subarray(pos, eol));
    const line = Buffer.concat(pieces);
    this.lineAt(line, 0, line.length);
  }

  /** Bytes of a line whose end has not arrived: copied, since the chunk they came in is not ours to keep. */
  private holdBytes(bytes: Buffer, pos: number, end: number): void {
    if (pos === end || !this.holds(end - pos)) return;
    (this.pendingBytes ??= []).push(Buffer.from(bytes.subarray(pos, end)));
  }

  /** Counts `units` more held for the unfinished line; false when that passes the limit. */
  private holds(units: number): boolean {
    this.pendingUnits += units;
    return this.within();
  }

  /** Whether the unfinished line and the event's data are within the limit; past it, the parser stops. */
  private within(): boolean {
    // Counted as characters, as the string path counts it.
    if (this.dataBytes) this.decodeDataBytes();
    if (this.pendingUnits + this.data.length <= this.limit) return true;
    this.stopped = true;
    this.pendingLine = '';
    this.pendingBytes = undefined;
    this.data = '';
    this.h.onTooLarge?.(this.limit);
    return false;
  }

  private field(field: Field, value: string): void {
    switch (field) {
      case Field.Data:
        if (this.dataBytes) this.decodeDataBytes();
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
        this.within();
        break;
      case Field.Event:
        this.eventType = value;
        break;
      case Field.Id:
        // The spec ignores an id containing NUL, so a reconnect never sends one in a header.
        if (!value.includes('\0')) this.idBuffer = value;
        break;
      case Field.Retry:
        if (DIGITS.test(value)) this.h.onRetry?.(Number(value));
        break;
      default:
      // Unknown fields are ignored.
    }
  }

  private dispatch(): void {
    this.lastEventId = this.idBuffer;
    const type = this.eventType || 'message';
    this.eventType = '';
    if (!this.hasData) return;
    this.hasData = false;
    if (this.dataBytes && type === 'message') {
      const bytes = this.dataBytes;
      this.dataBytes = undefined;
      return this.h.onMessageBytes!(bytes, this.dataStart, this.dataEnd);
    }
    if (this.dataBytes) this.decodeDataBytes();
    const e: SseEvent = { type, data: this.data, lastEventId: this.lastEventId };
    this.data = '';
    this.h.onEvent(e);
  }
}

/** The first line end at or after the search position, from the cached searches; -1 when none is before `end`. */
function lineEndOf(lf: number, cr: number, end: number): number {
  const eol = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
  return eol < end ? eol : -1;
}

function fieldNamed(name: string): Field {
  switch (name) {
    case 'data':
      return Field.Data;
    case 'event':
      return Field.Event;
    case 'id':
      return Field.Id;
    case 'retry':
      return Field.Retry;
    default:
      return Field.Other;
  }
}

/** fieldNamed of the name from `start` to `end` of `b`, compared byte by byte: no string for a name. */
function fieldAt(b: Buffer, start: number, end: number): Field {
  switch (end - start) {
    case 4:
      return b[start] === 0x64 && b[start + 1] === 0x61 && b[start + 2] === 0x74 && b[start + 3] === 0x61 ? Field.Data : Field.Other;
    case 2:
      return b[start] === 0x69 && b[start + 1] === 0x64 ? Field.Id : Field.Other;
    case 5:
      return nameIs(b, start, 'event') ? Field.Event : nameIs(b, start, 'retry') ? Field.Retry : Field.Other;
    default:
      return Field.Other;
  }
}

function nameIs(b: Buffer, start: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if (b[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
