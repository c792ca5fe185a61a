import { transportError, type ConnbenchError } from '../../util/errors.js';

/**
 * An incremental decoder of one HTTP/1.1 response, for the lean SSE client: the status line and
 * headers, then the body as chunked, Content-Length or read-until-close. Pure: bytes go in through
 * push(), the head and body bytes come out through callbacks. Body bytes are a range of the pushed
 * chunk, never copies: read them before the next push. Chunks may split anywhere.
 */

export interface ResponseHead {
  status: number;
  /** Lower-case names; a repeated header keeps its last value, except transfer-encoding (joined). */
  headers: Record<string, string>;
}

export interface HttpResponseHandlers {
  onHead(head: ResponseHead): void;
  /**
   * Body bytes from `start` to `end` of `bytes` (a range, not a view: a broadcast's HTTP chunk is
   * one event, and a Buffer object per chunk would be garbage per delivery).
   */
  onBody(bytes: Buffer, start: number, end: number): void;
  /** The body is complete (the last chunk, or Content-Length bytes, or end() in read-until-close). */
  onEnd(): void;
}

/** A head larger than this is not from the reference server: refuse it rather than buffer it. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** A chunk-size line (hex size + extensions) longer than this is malformed. */
const MAX_SIZE_LINE_BYTES = 1024;
/** Hex digits of a chunk size at most: 4 GiB - 1, far past anything the reference server writes in one chunk. */
const MAX_SIZE_DIGITS = 8;

const CR = 13;
const LF = 10;
const HEAD_END = Buffer.from('\r\n\r\n');

type State =
  'head' | 'chunk-size' | 'chunk-data' | 'chunk-data-end' | 'chunk-data-lf' | 'trailers' | 'length' | 'until-close' | 'done' | 'failed';

export class HttpResponseDecoder {
  private state: State = 'head';
  /** Head bytes (or a chunk-size / trailer line) that arrived without their terminator yet. */
  private pending: Buffer | undefined;
  private remaining = 0;
  private failure: ConnbenchError | undefined;
  private readonly h: HttpResponseHandlers;

  constructor(handlers: HttpResponseHandlers) {
    this.h = handlers;
  }

  /** Decodes a chunk; returns the error that made the response unusable (then and on every later push). */
  push(chunk: Uint8Array): ConnbenchError | undefined {
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    // Each reader returns the position after the bytes it took.
    while (pos < bytes.length && this.failure === undefined) {
      switch (this.state) {
        case 'head':
          // The end of the head may straddle the held part and this chunk: the rest of this push reads the joined copy.
          if (this.pending) {
            bytes = Buffer.concat([this.pending, bytes.subarray(pos)]);
            pos = 0;
            this.pending = undefined;
          }
          pos = this.readHead(bytes, pos);
          break;
        case 'chunk-size':
        case 'trailers':
          pos = this.readLine(bytes, pos);
          break;
        case 'chunk-data':
        case 'length':
          pos = this.readBody(bytes, pos);
          break;
        case 'chunk-data-end':
        case 'chunk-data-lf':
          pos = this.readChunkDataEnd(bytes, pos);
          break;
        case 'until-close':
          this.h.onBody(bytes, pos, bytes.length);
          pos = bytes.length;
          break;
        case 'done':
          // Bytes after a complete response: the server has nothing more to say on this stream.
          return this.fail('bytes after the end of the response');
        case 'failed':
          return this.failure;
      }
    }
    return this.failure;
  }

  /** The head up to its blank line, or all of bytes held back until the rest arrives. */
  private readHead(bytes: Buffer, pos: number): number {
    const end = bytes.indexOf(HEAD_END, pos);
    if (end === -1) {
      if (bytes.length - pos > MAX_HEAD_BYTES) this.fail(`a response head longer than ${MAX_HEAD_BYTES} bytes`);
      else this.pending = Buffer.from(bytes.subarray(pos));
      return bytes.length;
    }
    this.head(bytes.toString('latin1', pos, end));
    return end + HEAD_END.length;
  }

  /** A chunk-size or trailer line up to its LF, joined to the part an earlier push held back. */
  private readLine(bytes: Buffer, pos: number): number {
    if (this.pending === undefined && this.state === 'chunk-size') {
      const next = this.readPlainChunkSize(bytes, pos);
      if (next >= 0) return next;
    }
    const lf = bytes.indexOf(LF, pos);
    const piece = bytes.subarray(pos, lf === -1 ? bytes.length : lf + 1);
    const line = this.pending ? Buffer.concat([this.pending, piece]) : piece;
    this.pending = undefined;
    if (lf === -1) {
      if (line.length > MAX_SIZE_LINE_BYTES) this.fail('a chunk-size or trailer line that never ends');
      else this.pending = Buffer.from(line);
    } else this.line(line);
    return pos + piece.length;
  }

  /**
   * A chunk-size line of hex digits and CRLF alone, as every chunk the reference server writes:
   * read from the bytes, without a search for its LF, the line as a string, or line()'s regular
   * expression. The position after it, or -1 for any other line or one this push does not hold
   * whole, which readLine() then reads (or refuses) as before.
   */
  private readPlainChunkSize(bytes: Buffer, pos: number): number {
    let size = 0;
    let i = pos;
    for (; i < bytes.length && i - pos <= MAX_SIZE_DIGITS; i++) {
      const digit = hexValue(bytes[i]!);
      if (digit < 0) break;
      size = size * 16 + digit;
    }
    const digits = i - pos;
    if (digits === 0 || digits > MAX_SIZE_DIGITS || bytes[i] !== CR || bytes[i + 1] !== LF) return -1;
    return this.chunkSize(size, i + 2);
  }

  /** Body bytes of the current chunk or Content-Length, as many as bytes holds. */
  private readBody(bytes: Buffer, pos: number): number {
    const n = Math.min(this.remaining, bytes.length - pos);
    this.remaining -= n;
    const last = this.remaining === 0;
    if (last && this.state === 'chunk-data') this.state = 'chunk-data-end';
    if (n > 0) this.h.onBody(bytes, pos, pos + n);
    if (last && this.state === 'length') this.finish();
    return pos + n;
  }

  /**
   * The CRLF after a chunk's data, which may be split between pushes; a bare LF is taken too (RFC
   * 9112, 2.2), but a CR must be followed by its LF.
   */
  private readChunkDataEnd(bytes: Buffer, pos: number): number {
    const b = bytes[pos]!;
    // The usual case, a whole CRLF in this push: one step per event on the hot path, not two.
    if (b === CR && this.state === 'chunk-data-end' && bytes[pos + 1] === LF) {
      this.state = 'chunk-size';
      return pos + 2;
    }
    if (b === LF) this.state = 'chunk-size';
    else if (b === CR && this.state === 'chunk-data-end') this.state = 'chunk-data-lf';
    else this.fail(this.state === 'chunk-data-lf' ? 'a CR after chunk data without its LF' : 'chunk data longer than its size');
    return pos + 1;
  }

  /**
   * The connection ended. A read-until-close body ends here; any other unfinished response is an
   * error (the stream was cut). Returns undefined when the response was complete.
   */
  end(): ConnbenchError | undefined {
    if (this.state === 'until-close') {
      this.finish();
      return undefined;
    }
    if (this.state === 'done' || this.failure) return this.failure;
    return this.fail(
      this.state === 'head' ? 'the connection closed before a response head' : 'the connection closed in the middle of the response body',
    );
  }

  private head(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (!m) return void this.fail(`a status line that is not HTTP/1.x: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) return void this.fail(`a header line without a name: ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name === 'transfer-encoding' && headers[name] ? `${headers[name]}, ${value}` : value;
    }
    // An interim answer (100 Continue, 103 Early Hints): the real head follows.
    if (status >= 100 && status < 200) return;
    const te = headers['transfer-encoding'];
    const length = headers['content-length'];
    if (te !== undefined && /(^|,)\s*chunked\s*$/i.test(te)) this.state = 'chunk-size';
    else if (length !== undefined) {
      if (!/^\d+$/.test(length)) return void this.fail(`a Content-Length that is not a number: ${JSON.stringify(length)}`);
      this.remaining = Number(length);
      this.state = 'length';
    } else this.state = status === 204 || status === 304 ? 'done' : 'until-close';
    this.h.onHead({ status, headers });
    if (this.state === 'length' && this.remaining === 0) this.finish();
    else if (this.state === 'done') this.h.onEnd();
  }

  /** A complete chunk-size or trailer line, LF included. */
  private line(line: Buffer): void {
    const text = line.toString('latin1').replace(/\r?\n$/, '');
    if (this.state === 'trailers') {
      if (text === '') this.finish();
      return;
    }
    const m = /^([0-9a-fA-F]+)[ \t]*(;.*)?$/.exec(text);
    if (!m || m[1]!.length > MAX_SIZE_DIGITS)
      return void this.fail(`a chunk size that is not hexadecimal: ${JSON.stringify(text.slice(0, 40))}`);
    this.chunkSize(parseInt(m[1]!, 16), 0);
  }

  /** A chunk's size is known: its data comes next, or the trailers after the last chunk. Returns `next`. */
  private chunkSize(size: number, next: number): number {
    this.remaining = size;
    this.state = size === 0 ? 'trailers' : 'chunk-data';
    return next;
  }

  private finish(): void {
    this.state = 'done';
    this.h.onEnd();
  }

  private fail(what: string): ConnbenchError {
    this.state = 'failed';
    this.pending = undefined;
    this.failure = transportError('CB_ERR_PROTOCOL', `the server sent ${what}`);
    return this.failure;
  }
}

/** The value of a hex digit byte, either case; -1 for any other byte. */
function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const lower = b | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}
