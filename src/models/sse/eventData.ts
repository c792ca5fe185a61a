import type { Gap } from '../../server/messageLog.js';
import { decodeMessage, type Incoming } from '../message.js';
import { transportError, type ConnbenchError } from '../../util/errors.js';

/**
 * What the `data:` of each event type of the wire contract means. Both SSE clients read events
 * through these, so they cannot disagree on what is a valid hello, gap or message.
 */

export function helloCursorOf(data: string): number | ConnbenchError {
  const cursor = (parseJson(data) as { cursor?: unknown } | undefined)?.cursor;
  if (Number.isSafeInteger(cursor) && (cursor as number) >= 0) return cursor as number;
  return transportError('CB_ERR_PROTOCOL', `the hello event carried no cursor: ${data.slice(0, 80)}`);
}

export function gapOf(data: string): Gap | ConnbenchError {
  const g = parseJson(data) as { fromSeq?: unknown; toSeq?: unknown } | undefined;
  if (Number.isSafeInteger(g?.fromSeq) && Number.isSafeInteger(g?.toSeq)) return { fromSeq: g!.fromSeq as number, toSeq: g!.toSeq as number };
  return transportError('CB_ERR_PROTOCOL', `a gap event carried no range: ${data.slice(0, 80)}`);
}

export function messageOf(data: string): Incoming | ConnbenchError {
  return decodeMessage(data) ?? transportError('CB_ERR_BAD_MESSAGE', `an event did not carry a message: ${data.slice(0, 80)}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
