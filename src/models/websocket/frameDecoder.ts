import { CloseCode, Opcode, isSendableCloseCode, isText, type FrameViolation, type ServerFrameHandlers } from './frames.js';

/**
 * Decodes the frames a server sends (RFC 6455 §5.2), for the lean websocket client. One push()
 * decodes every complete frame of the chunk in one loop; a text message is handed on as its bytes
 * in the chunk (checked to be UTF-8); only the bytes of an unfinished frame wait, as a list of
 * chunks that is joined once the frame is complete (a large frame in many chunks is copied once).
 * Pure: bytes in, handler calls out, a FrameViolation back when the server broke the protocol
 * (then and on every later push).
 */
export class ServerFrameDecoder {
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  /** Bytes the frame at the head of `waiting` needs before it can be decoded (or its header read further). */
  private neededBytes = 0;
  /** Fragments of a message whose final frame has not come yet. */
  private fragments: Buffer[] | undefined;
  private fragmentsOpcode = 0;
  private fragmentsBytes = 0;
  private failure: FrameViolation | undefined;
  /** After a close frame the server sends nothing more that counts (§5.5.1). */
  private closed = false;
  private readonly h: ServerFrameHandlers;
  private readonly maxPayloadBytes: number;

  constructor(handlers: ServerFrameHandlers, maxPayloadBytes: number) {
    this.h = handlers;
    this.maxPayloadBytes = maxPayloadBytes;
  }

  push(chunk: Buffer): FrameViolation | undefined {
    if (this.failure || this.closed) return this.failure;
    let bytes = chunk;
    if (this.waiting.length > 0) {
      this.waiting.push(chunk);
      this.waitingBytes += chunk.length;
      if (this.waitingBytes < this.neededBytes) return undefined;
      bytes = Buffer.concat(this.waiting, this.waitingBytes);
      this.waiting = [];
      this.waitingBytes = 0;
    }
    let pos = 0;
    while (pos < bytes.length && this.failure === undefined && !this.closed) {
      const used = this.frameAt(bytes, pos);
      if (used > 0) {
        pos += used;
        continue;
      }
      // Incomplete: keep the rest (a copy, so the chunk it came in can be freed).
      this.neededBytes = -used;
      this.waiting = [Buffer.from(bytes.subarray(pos))];
      this.waitingBytes = bytes.length - pos;
      break;
    }
    return this.failure;
  }

  /** Decodes the frame at `pos`: the bytes it took, or minus the bytes from `pos` it needs to be complete. */
  private frameAt(b: Buffer, pos: number): number {
    const available = b.length - pos;
    if (available < 2) return -2;
    const b0 = b[pos]!;
    const b1 = b[pos + 1]!;
    let length = b1 & 0x7f;
    let headerBytes = 2;
    if (length === 126) {
      if (available < 4) return -4;
      length = b.readUInt16BE(pos + 2);
      headerBytes = 4;
    } else if (length === 127) {
      if (available < 10) return -10;
      const high = b.readUInt32BE(pos + 2);
      // 2^53 and up cannot be a length here; the cap below refuses far less anyway.
      if (high > 0x1fffff) return this.fail(CloseCode.TOO_BIG, 'a frame longer than 2^53 bytes');
      length = high * 2 ** 32 + b.readUInt32BE(pos + 6);
      headerBytes = 10;
    }
    const problem = this.headerProblem(b0, b1, length);
    if (problem) return this.fail(problem.closeCode, problem.message);
    if (available < headerBytes + length) return -(headerBytes + length);
    this.dispatch(b0, b.subarray(pos + headerBytes, pos + headerBytes + length));
    return headerBytes + length;
  }

  private headerProblem(b0: number, b1: number, length: number): FrameViolation | undefined {
    const opcode = b0 & 0x0f;
    const violation = (message: string, closeCode: number = CloseCode.PROTOCOL_ERROR) => ({ closeCode, message });
    if (b0 & 0x70) return violation('a frame with reserved bits set, and no extension was agreed');
    if (b1 & 0x80) return violation('a masked frame (a server never masks)');
    if (opcode >= 8) {
      if (opcode > Opcode.PONG) return violation(`a frame with the unknown control opcode ${opcode}`);
      if (!(b0 & 0x80)) return violation('a fragmented control frame');
      if (length > 125) return violation('a control frame longer than 125 bytes');
      return undefined;
    }
    if (opcode > Opcode.BINARY) return violation(`a frame with the unknown opcode ${opcode}`);
    const messageBytes = opcode === Opcode.CONTINUATION ? this.fragmentsBytes + length : length;
    if (messageBytes > this.maxPayloadBytes) return violation(`a message longer than ${this.maxPayloadBytes} bytes`, CloseCode.TOO_BIG);
    return undefined;
  }

  private dispatch(b0: number, payload: Buffer): void {
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    switch (opcode) {
      case Opcode.TEXT:
      case Opcode.BINARY:
        if (this.fragments) return void this.fail(CloseCode.PROTOCOL_ERROR, 'a new message before the final fragment of the last one');
        if (fin) return this.deliver(opcode, payload);
        this.fragments = [Buffer.from(payload)];
        this.fragmentsOpcode = opcode;
        this.fragmentsBytes = payload.length;
        return;
      case Opcode.CONTINUATION:
        if (!this.fragments) return void this.fail(CloseCode.PROTOCOL_ERROR, 'a continuation frame with no message to continue');
        this.fragments.push(Buffer.from(payload));
        this.fragmentsBytes += payload.length;
        if (!fin) return;
        this.deliver(this.fragmentsOpcode, Buffer.concat(this.fragments, this.fragmentsBytes));
        this.fragments = undefined;
        this.fragmentsBytes = 0;
        return;
      case Opcode.CLOSE:
        return this.onCloseFrame(payload);
      case Opcode.PING:
        return this.h.onPing(payload);
      default:
        return this.h.onPong();
    }
  }

  private deliver(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.BINARY) return this.h.onBinary();
    if (!isText(payload)) return void this.fail(CloseCode.INVALID_PAYLOAD, 'a text message that is not valid UTF-8');
    this.h.onText(payload);
  }

  private onCloseFrame(payload: Buffer): void {
    if (payload.length === 1) return void this.fail(CloseCode.PROTOCOL_ERROR, 'a close frame with a one-byte payload');
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : undefined;
    if (code !== undefined && !isSendableCloseCode(code))
      return void this.fail(CloseCode.PROTOCOL_ERROR, `a close frame with code ${code}`);
    const reason = payload.subarray(2);
    if (!isText(reason)) return void this.fail(CloseCode.INVALID_PAYLOAD, 'a close reason that is not valid UTF-8');
    this.closed = true;
    this.h.onClose(code, reason.toString('utf8'));
  }

  /** Returns 1 so frameAt's caller stops at the failure rather than waiting for more bytes. */
  private fail(closeCode: number, message: string): number {
    this.failure ??= { closeCode, message: `the server sent ${message}` };
    this.waiting = [];
    this.fragments = undefined;
    return 1;
  }
}
