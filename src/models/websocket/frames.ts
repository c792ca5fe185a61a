import { randomFillSync } from 'node:crypto';
import { isUtf8 } from 'node:buffer';

/**
 * RFC 6455 framing on the client's side, for the lean websocket client: masked frames out (§5.3),
 * server frames in, decoded in batches: every complete frame of a chunk in one loop, text read
 * straight from the chunk, only an unfinished frame's bytes kept for the next chunk. Pure but for
 * the mask's randomness.
 */

export const Opcode = { CONTINUATION: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

/** Mask keys are drawn from the system's random source a pool at a time: one call per 1024 frames. */
const maskPool = Buffer.alloc(4096);
let maskAt = maskPool.length;

function nextMask(): Buffer {
  if (maskAt === maskPool.length) {
    randomFillSync(maskPool);
    maskAt = 0;
  }
  maskAt += 4;
  return maskPool.subarray(maskAt - 4, maskAt);
}

/** A final client frame: FIN, the opcode, the mask bit and key, the masked payload. */
export function maskedFrame(opcode: number, payload: Buffer, mask: Buffer = nextMask()): Buffer {
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + lengthBytes + 4 + n);
  frame[0] = 0x80 | opcode;
  if (n < 126) frame[1] = 0x80 | n;
  else if (n < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    frame.writeUInt32BE(n >>> 0, 6);
  }
  const keyAt = 2 + lengthBytes;
  mask.copy(frame, keyAt, 0, 4);
  for (let i = 0; i < n; i++) frame[keyAt + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/** A close frame's payload: the status code, then a UTF-8 reason (§5.5.1). */
export function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2, 'utf8');
  return payload;
}

export interface ServerFrameHandlers {
  /**
   * A whole text message (its fragments joined) as its bytes, checked to be UTF-8: a view into the
   * chunk, valid until this returns. The client reads it in place or decodes it.
   */
  onText(bytes: Buffer): void;
  onBinary(): void;
  /** The payload is a view into the chunk: copy it to keep it. */
  onPing(payload: Buffer): void;
  onPong(): void;
  /** code undefined: the close frame carried none. */
  onClose(code: number | undefined, reason: string): void;
}

/** A protocol violation by the server: the close code the client answers with (§7.4.1) and why. */
export interface FrameViolation {
  closeCode: number;
  message: string;
}

export const CloseCode = { NORMAL: 1000, PROTOCOL_ERROR: 1002, INVALID_PAYLOAD: 1007, POLICY: 1008, TOO_BIG: 1009 } as const;

/** Close codes a peer may send (§7.4.1, §7.4.2): 1004-1006 and 1015 are reserved, 1000-2999 are the RFC's, 3000-4999 registered or private. */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

export function isText(payload: Buffer): boolean {
  return isUtf8(payload);
}
