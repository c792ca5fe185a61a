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

/** Parses one message body; returns undefined when it is not a well-formed message. */
export function decodeMessage(json: string): Incoming | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  return toIncoming(v);
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
