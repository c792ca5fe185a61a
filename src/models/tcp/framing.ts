import { transportError, type ConnbenchError } from '../../util/errors.js';
import { MAX_MESSAGE_BYTES } from '../message.js';
import { MAX_SEND_BODY_BYTES } from '../sendBody.js';

/**
 * The tcp model's framing: a 4-byte big-endian length (the bytes that follow: 1 type byte + body),
 * the type byte, the body. Pure: an encoder and an incremental decoder, no sockets.
 */
export const FrameType = { HELLO: 1, MSG: 2, SEND: 3, PING: 4, PONG: 5, GAP: 6 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** The largest length field accepted (type byte + body): the limit every model's client keeps. */
export const MAX_FRAME_LENGTH_BYTES = MAX_MESSAGE_BYTES;
/**
 * The largest length field the server accepts from a client: a SEND as large as a websocket
 * client's largest message (MAX_SEND_BODY_BYTES, which ws enforces with 1009) and its type byte.
 * Nothing a client sends is larger, and a hostile one may not make the server hold 16 MiB.
 */
export const MAX_CLIENT_FRAME_LENGTH_BYTES = MAX_SEND_BODY_BYTES + 1;
const LENGTH_BYTES = 4;
const HEADER_BYTES = LENGTH_BYTES + 1;

export interface Frame {
  type: FrameType;
  /** A view into the received bytes: read it before the next push, or copy it. */
  body: Buffer;
}

function isFrameType(t: number): t is FrameType {
  return t >= FrameType.HELLO && t <= FrameType.GAP;
}

/** One frame; throws CB_ERR_FRAME_TOO_LARGE for a body the peer would refuse. */
export function encodeFrame(type: FrameType, body: string | Buffer = ''): Buffer {
  const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const length = 1 + bodyBytes;
  if (length > MAX_FRAME_LENGTH_BYTES) throw tooLarge(length);
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame[LENGTH_BYTES] = type;
  if (typeof body === 'string') frame.write(body, HEADER_BYTES, 'utf8');
  else body.copy(frame, HEADER_BYTES);
  return frame;
}

export interface DecodeResult {
  /** Every complete frame in order, including those before a bad one. */
  frames: Frame[];
  /** Set once the stream is unusable; every later push returns it again. */
  error?: ConnbenchError;
}

/**
 * Incremental decoder: feed it chunks as they arrive, split anywhere. Chunks are kept as a list and
 * joined only when a header or a whole frame spans them, so a big frame arriving in small pieces is
 * copied once, not once per piece. A bad length or type is reported as soon as its bytes arrive,
 * never after waiting for a body that may not come.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private failure: ConnbenchError | undefined;

  /** `maxLengthBytes`: the largest length field accepted; a larger one fails the stream at once. */
  constructor(private readonly maxLengthBytes = MAX_FRAME_LENGTH_BYTES) {}

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  push(chunk: Uint8Array): DecodeResult {
    const frames: Frame[] = [];
    if (this.failure) return { frames, error: this.failure };
    if (chunk.length > 0) {
      this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.bufferedBytes += chunk.length;
    }
    while (this.bufferedBytes >= LENGTH_BYTES) {
      const head = this.front(Math.min(HEADER_BYTES, this.bufferedBytes));
      const length = head.readUInt32BE(0);
      if (length > this.maxLengthBytes) return this.fail(frames, tooLarge(length, this.maxLengthBytes));
      if (length === 0) return this.fail(frames, transportError('CB_ERR_BAD_FRAME', 'a frame of length 0 has no type byte'));
      if (this.bufferedBytes < HEADER_BYTES) break;
      const type = head[LENGTH_BYTES]!;
      if (!isFrameType(type)) return this.fail(frames, transportError('CB_ERR_BAD_FRAME', `unknown frame type ${type}`));
      const frameBytes = LENGTH_BYTES + length;
      if (this.bufferedBytes < frameBytes) break;
      const whole = this.front(frameBytes);
      frames.push({ type, body: whole.subarray(HEADER_BYTES, frameBytes) });
      this.consume(frameBytes);
    }
    return { frames };
  }

  private fail(frames: Frame[], error: ConnbenchError): DecodeResult {
    this.failure = error;
    this.chunks = [];
    this.bufferedBytes = 0;
    return { frames, error };
  }

  /** The first chunk, made at least `bytes` long by joining as few chunks as needed. */
  private front(bytes: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= bytes) return first;
    let joinedBytes = 0;
    let count = 0;
    while (joinedBytes < bytes) joinedBytes += this.chunks[count++]!.length;
    const joined = Buffer.concat(this.chunks.slice(0, count), joinedBytes);
    this.chunks.splice(0, count, joined);
    return joined;
  }

  private consume(bytes: number): void {
    const first = this.chunks[0]!;
    this.bufferedBytes -= bytes;
    if (first.length === bytes) this.chunks.shift();
    else this.chunks[0] = first.subarray(bytes);
  }
}

function tooLarge(length: number, limitBytes = MAX_FRAME_LENGTH_BYTES): ConnbenchError {
  return transportError('CB_ERR_FRAME_TOO_LARGE', `a frame of ${length} bytes is larger than the ${limitBytes}-byte limit`);
}
