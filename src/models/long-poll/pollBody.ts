import { readEnvelope, toIncoming, type Incoming } from '../message.js';
import type { Gap, ReadResult } from '../log.js';
import { ConnbenchError, transportError } from '../../util/errors.js';

/**
 * The wire format of a poll answer, both directions, pure:
 * `{"cursor":M,"messages":[…][,"gap":{"fromSeq":a,"toSeq":b}]}`.
 */
export interface PollBody {
  /** Where the next poll continues from. */
  cursor: number;
  messages: Incoming[];
  gap?: Gap;
}

/** Builds an answer from a log read; entries are concatenated as already encoded, never re-serialised. */
export function encodePollBody(r: Pick<ReadResult, 'entries' | 'cursor' | 'gap'>): string {
  let s = `{"cursor":${r.cursor},"messages":[`;
  const entries = r.entries;
  for (let i = 0; i < entries.length; i++) {
    if (i > 0) s += ',';
    s += entries[i]!.json;
  }
  s += ']';
  if (r.gap) s += `,"gap":{"fromSeq":${r.gap.fromSeq},"toSeq":${r.gap.toSeq}}`;
  return `${s}}`;
}

/**
 * Parses an answer; a malformed one comes back as a typed error, never thrown. An answer exactly as
 * encodePollBody writes it, without a gap, is read message by message without JSON.parse
 * (readEnvelope); anything else takes one JSON.parse, with the same result.
 */
export function parsePollBody(text: string): PollBody | ConnbenchError {
  return fastPollBody(text) ?? parsePollBodyByJsonParse(text);
}

const CURSOR_KEY = '{"cursor":';
const MESSAGES_KEY = ',"messages":[';

function fastPollBody(text: string): PollBody | undefined {
  if (!text.startsWith(CURSOR_KEY)) return undefined;
  let i = CURSOR_KEY.length;
  while (i < text.length && i < CURSOR_KEY.length + 16 && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
  const digits = text.slice(CURSOR_KEY.length, i);
  if (digits.length === 0 || digits.length > 15 || (digits.length > 1 && digits[0] === '0') || !text.startsWith(MESSAGES_KEY, i))
    return undefined;
  i += MESSAGES_KEY.length;
  const messages: Incoming[] = [];
  const at = { end: 0 };
  if (text.charCodeAt(i) !== 0x5d)
    for (;;) {
      const m = readEnvelope(text, i, at);
      if (!m) return undefined;
      messages.push(m);
      i = at.end;
      if (text.charCodeAt(i) !== 0x2c) break;
      i++;
    }
  // "]}" and nothing after: a gap or anything else takes the JSON.parse path.
  return i === text.length - 2 && text.endsWith(']}') ? { cursor: Number(digits), messages } : undefined;
}

export function parsePollBodyByJsonParse(text: string): PollBody | ConnbenchError {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return malformed('it is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return malformed('it is not a JSON object');
  const o = v as Record<string, unknown>;
  if (!isSeq(o.cursor, 0)) return malformed('"cursor" is not a non-negative integer');
  if (!Array.isArray(o.messages)) return malformed('"messages" is not an array');
  const raw = o.messages as unknown[];
  const messages: Incoming[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const m = toIncoming(raw[i]);
    if (!m) return malformed(`message ${i} has no valid "seq" and "t"`);
    messages[i] = m;
  }
  const body: PollBody = { cursor: o.cursor, messages };
  if (o.gap !== undefined) {
    const g = o.gap as Record<string, unknown> | null;
    if (typeof g !== 'object' || g === null || !isSeq(g.fromSeq, 1) || !isSeq(g.toSeq, g.fromSeq))
      return malformed('"gap" is not {"fromSeq":n,"toSeq":m} with 1 <= n <= m');
    body.gap = { fromSeq: g.fromSeq, toSeq: g.toSeq };
  }
  return body;
}

function isSeq(v: unknown, min: number): v is number {
  return Number.isSafeInteger(v) && (v as number) >= min;
}

function malformed(why: string): ConnbenchError {
  return transportError('CB_ERR_BAD_POLL_BODY', `a poll answer could not be read: ${why}`);
}
