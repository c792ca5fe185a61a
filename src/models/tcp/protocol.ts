import type { Outgoing } from '../message.js';
import type { Gap } from '../log.js';
import { parseCursor, parseUser } from '../push/subscription.js';
import { FrameType, encodeFrame } from './framing.js';

/**
 * The JSON bodies of the tcp model's frames, and the frames built from them. Pure.
 * Client → server: HELLO `{"cursor":N|null,"user":"u3"}`, SEND `{"to":…,"t":…,"body":…}`.
 * Server → client: HELLO `{"cursor":N}`, MSG = the log entry's JSON, GAP `{"fromSeq":a,"toSeq":b}`.
 * Either side answers a PING (empty) with a PONG (empty).
 */
export const PING_FRAME = encodeFrame(FrameType.PING);
export const PONG_FRAME = encodeFrame(FrameType.PONG);

export const clientHelloFrame = (cursor: number | null, user: string): Buffer =>
  encodeFrame(FrameType.HELLO, `{"cursor":${cursor === null ? 'null' : cursor},"user":${JSON.stringify(user)}}`);

export const serverHelloFrame = (cursor: number): Buffer => encodeFrame(FrameType.HELLO, `{"cursor":${cursor}}`);

export const gapFrame = (gap: Gap): Buffer => encodeFrame(FrameType.GAP, `{"fromSeq":${gap.fromSeq},"toSeq":${gap.toSeq}}`);

export const sendFrame = (m: Outgoing): Buffer =>
  encodeFrame(FrameType.SEND, `{"to":${JSON.stringify(m.to)},"t":${m.t},"body":${JSON.stringify(m.body)}}`);

export type Invalid = { invalid: string };

export function parseClientHello(body: Buffer): { cursor: number | null; user: string | undefined } | Invalid {
  const o = parseObject(body);
  if (!o) return { invalid: 'the HELLO body is not a JSON object' };
  // A JSON string is not a cursor here, even one of digits: the query-string leniency stays with HTTP.
  const cursor = typeof o.cursor === 'string' ? { invalid: JSON.stringify(o.cursor) } : parseCursor(o.cursor);
  if ('invalid' in cursor) return { invalid: `cursor must be a non-negative integer or null, got ${cursor.invalid}` };
  if (o.user !== undefined && o.user !== null && typeof o.user !== 'string') return { invalid: 'user must be a string' };
  return { cursor: cursor.cursor, user: typeof o.user === 'string' ? parseUser(o.user) : undefined };
}

export function parseServerHello(body: Buffer): number | Invalid {
  const c = parseObject(body)?.cursor;
  return isSeq(c) ? c : { invalid: 'a HELLO without a non-negative integer cursor' };
}

export function parseGap(body: Buffer): Gap | Invalid {
  const o = parseObject(body);
  if (o && isSeq(o.fromSeq) && isSeq(o.toSeq) && o.fromSeq <= o.toSeq) return { fromSeq: o.fromSeq, toSeq: o.toSeq };
  return { invalid: 'a GAP without a valid fromSeq..toSeq range' };
}

export function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
