/**
 * The message body every model carries, so the comparison is about the transport:
 * `{"seq":123,"t":8812345678,"from":"u7","to":"u3","body":"<padding>"}` (`from`/`to` only in chat).
 * `t` is the scheduled send time in monotonic microseconds.
 */
export interface WireMessage {
  seq: number;
  /** Scheduled time, monotonic microseconds. */
  t: number;
  from?: string;
  to?: string;
  body: string;
}

/** What a client keeps of a message: the body is dropped as soon as it is parsed. */
export interface Incoming {
  seq: number;
  t: number;
  from?: string;
  to?: string;
}

/** A chat send from a client: the server assigns the sequence number. */
export interface Outgoing {
  to: string;
  /** Scheduled send time, monotonic microseconds (latency counts from here). */
  t: number;
  body: string;
}

/** The largest frame a client of any model accepts (16 MiB), so every model refuses the same sizes. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function encodeMessage(m: WireMessage): string {
  // Hand-built so field order is fixed and no intermediate object is serialised per message.
  let s = `{"seq":${m.seq},"t":${m.t}`;
  if (m.from !== undefined) s += `,"from":${JSON.stringify(m.from)}`;
  if (m.to !== undefined) s += `,"to":${JSON.stringify(m.to)}`;
  return `${s},"body":${JSON.stringify(m.body)}}`;
}

/**
 * Parses one message body; returns undefined when it is not a well-formed message. Every client
 * decodes every delivery, so the exact shape encodeMessage writes is read without JSON.parse (the
 * padding is only checked, never copied: decodeEnvelope); anything else falls back to JSON.parse,
 * and both give the same answer for every input (test/property/message-envelope.property.test.ts).
 */
export function decodeMessage(json: string): Incoming | undefined {
  return decodeEnvelope(json) ?? decodeMessageByJsonParse(json);
}

/** The reference decoding: JSON.parse, then the message's fields checked. */
export function decodeMessageByJsonParse(json: string): Incoming | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  return toIncoming(v);
}

// The envelope's exact shape, shared with the reader of its bytes (messageBytes.ts).
export const QUOTE = 0x22;
export const CLOSE_BRACE = 0x7d;
export const ZERO = 0x30;
/** Up to 15 digits are exact as a double; longer numbers take the JSON.parse path. */
export const MAX_FAST_DIGITS = 15;
export const SEQ_KEY = '{"seq":';
export const T_KEY = ',"t":';
export const FROM_KEY = ',"from":"';
export const TO_KEY = ',"to":"';
export const BODY_KEY = ',"body":"';

/**
 * Reads `{"seq":N,"t":N[,"from":"…"][,"to":"…"],"body":"…"}` with plain decimal integers and
 * strings without escapes or control characters, exactly as JSON.parse would; undefined for
 * anything else (escapes, whitespace, other fields or order), which the caller hands to JSON.parse.
 */
export function decodeEnvelope(s: string): Incoming | undefined {
  const at = { end: 0 };
  const m = readEnvelope(s, 0, at);
  return at.end === s.length ? m : undefined;
}

/** decodeEnvelope of the text from `from` on, which may go on after the message: `at.end` is the index after its `}`. */
export function readEnvelope(s: string, from: number, at: { end: number }): Incoming | undefined {
  if (!s.startsWith(SEQ_KEY, from)) return undefined;
  const seqEnd = integerEnd(s, from + SEQ_KEY.length);
  const seq = integerValue;
  if (seqEnd < 0 || seq < 1 || !s.startsWith(T_KEY, seqEnd)) return undefined;
  const tEnd = integerEnd(s, seqEnd + T_KEY.length);
  if (tEnd < 0) return undefined;
  const m: Incoming = { seq, t: integerValue };
  let i = tEnd;
  if (s.startsWith(FROM_KEY, i)) {
    const end = plainStringEnd(s, i + FROM_KEY.length);
    if (end < 0) return undefined;
    m.from = s.slice(i + FROM_KEY.length, end);
    i = end + 1;
  }
  if (s.startsWith(TO_KEY, i)) {
    const end = plainStringEnd(s, i + TO_KEY.length);
    if (end < 0) return undefined;
    m.to = s.slice(i + TO_KEY.length, end);
    i = end + 1;
  }
  if (!s.startsWith(BODY_KEY, i)) return undefined;
  const bodyEnd = plainStringEnd(s, i + BODY_KEY.length);
  if (bodyEnd < 0 || s.charCodeAt(bodyEnd + 1) !== CLOSE_BRACE) return undefined;
  at.end = bodyEnd + 2;
  return m;
}

/** The value of the integer integerEnd read last (read as it is scanned: no substring, no string-to-number call). */
let integerValue = 0;

/**
 * The end of a JSON integer without sign, fraction or exponent starting at `from`, its value in
 * integerValue; -1 when there is none, or it has more digits than a double holds exactly.
 */
function integerEnd(s: string, from: number): number {
  let value = 0;
  let i = from;
  for (; i < s.length && i - from <= MAX_FAST_DIGITS; i++) {
    const digit = s.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  const n = i - from;
  // JSON forbids leading zeros; "0" alone is fine.
  if (n === 0 || n > MAX_FAST_DIGITS || (n > 1 && s.charCodeAt(from) === ZERO)) return -1;
  integerValue = value;
  return i;
}

/** A run of characters a JSON string holds as they are: no quote, no backslash, no control character. */
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;

/** The index of the quote closing a string body starting at `from`, if it holds no escape or control character; else -1. */
function plainStringEnd(s: string, from: number): number {
  // A sticky regular expression scans in compiled code: a third of the time of a charCodeAt loop.
  PLAIN_RUN.lastIndex = from;
  PLAIN_RUN.test(s);
  const end = PLAIN_RUN.lastIndex;
  return s.charCodeAt(end) === QUOTE ? end : -1;
}
export function toIncoming(v: unknown): Incoming | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1 || typeof o.t !== 'number') return undefined;
  const m: Incoming = { seq: o.seq as number, t: o.t };
  if (typeof o.from === 'string') m.from = o.from;
  if (typeof o.to === 'string') m.to = o.to;
  return m;
}

/** Padding of the size the scenario asks for; the whole encoded message is at least this big. */
export function paddingOf(payloadBytes: number): string {
  return 'x'.repeat(Math.max(0, payloadBytes));
}
