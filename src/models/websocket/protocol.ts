import type { RawData } from 'ws';
import { decodeEnvelope, toIncoming, type Incoming, type Outgoing } from '../message.js';
import type { Gap } from '../log.js';
import { parseSendBody, type SendBody } from '../sendBody.js';

/**
 * The websocket model's text frames. Server → client: `{"type":"hello","cursor":N}` first, then
 * each message as the log entry's JSON exactly, and `{"type":"gap","fromSeq":a,"toSeq":b}`.
 * Client → server: `{"type":"send","to":"u3","t":123,"body":"…"}`. Pure.
 */
export const helloText = (cursor: number): string => `{"type":"hello","cursor":${cursor}}`;

export const gapText = (gap: Gap): string => `{"type":"gap","fromSeq":${gap.fromSeq},"toSeq":${gap.toSeq}}`;

export const sendText = (m: Outgoing): string => `{"type":"send","to":${JSON.stringify(m.to)},"t":${m.t},"body":${JSON.stringify(m.body)}}`;

/**
 * A text frame's text. ws (8.x, receiver.js dataMessage) hands every text message over as one
 * Buffer, whatever the binaryType: only binary messages take the other RawData shapes, and the
 * protocol has none.
 */
export const textOf = (data: RawData): string => (data as Buffer).toString('utf8');

/** A client's frame: a chat send, or a reason it is not one. */
export function parseClientText(text: string): SendBody | { invalid: string } {
  // One parse for the type check; parseSendBody's own parse only runs for real sends, which are rare.
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { invalid: 'the frame is not JSON' };
  }
  if (typeof v !== 'object' || v === null || (v as { type?: unknown }).type !== 'send')
    return { invalid: 'expected a frame of type "send"' };
  const body = parseSendBody(text);
  return 'status' in body ? { invalid: body.message } : body;
}

/** What a server text frame is: a message, a hello, a gap, or a reason it is none (both clients read frames through this). */
export type ServerText = { type: 'message'; message: Incoming } | ControlFrame;

export function parseServerText(text: string): ServerText {
  // Messages arrive thousands of times as often as anything else: their exact shape first, without JSON.parse.
  const fast = decodeEnvelope(text);
  if (fast) return { type: 'message', message: fast };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    // Not JSON: falls through to the object check below.
  }
  if (typeof v !== 'object' || v === null) return { invalid: 'a frame that is not a JSON object in a text frame' };
  // Messages carry no `type`.
  if (!('type' in v)) {
    const message = toIncoming(v);
    return message ? { type: 'message', message } : { invalid: 'a malformed message' };
  }
  return parseControl(v);
}

/** A server control frame (hello or gap); messages, which carry no `type`, are told apart by parseServerText. */
export type ControlFrame = { type: 'hello'; cursor: number } | { type: 'gap'; gap: Gap } | { invalid: string };

export function parseControl(o: { type?: unknown; cursor?: unknown; fromSeq?: unknown; toSeq?: unknown }): ControlFrame {
  if (o.type === 'hello') {
    if (isSeq(o.cursor)) return { type: 'hello', cursor: o.cursor };
    return { invalid: 'a hello without a non-negative integer cursor' };
  }
  if (o.type === 'gap') {
    if (isSeq(o.fromSeq) && isSeq(o.toSeq) && o.fromSeq <= o.toSeq) return { type: 'gap', gap: { fromSeq: o.fromSeq, toSeq: o.toSeq } };
    return { invalid: 'a gap without a valid fromSeq..toSeq range' };
  }
  return { invalid: `unknown frame type ${JSON.stringify(o.type)}` };
}

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * An unmasked, final text frame (RFC 6455 §5.2) holding `payload`, as a server sends it: the
 * header and payload in one buffer, so one broadcast frame is built once and written to every socket.
 */
export function textFrame(payload: string): Buffer {
  const payloadBytes = Buffer.byteLength(payload);
  const headerBytes = payloadBytes < 126 ? 2 : payloadBytes < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerBytes + payloadBytes);
  frame[0] = 0x81; // FIN + opcode 1 (text)
  if (payloadBytes < 126) frame[1] = payloadBytes;
  else if (payloadBytes < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(payloadBytes, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(payloadBytes / 2 ** 32), 2);
    frame.writeUInt32BE(payloadBytes >>> 0, 6);
  }
  frame.write(payload, headerBytes, 'utf8');
  return frame;
}
