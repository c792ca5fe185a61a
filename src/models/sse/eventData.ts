import type { Gap } from '../log.js';
import { decodeMessage, type Incoming } from '../message.js';
import { decodeEnvelopeBytes } from '../messageBytes.js';
import { transportError, type ConnbenchError } from '../../util/errors.js';

/**
 * What the `data:` of each event type of the wire contract means. Both SSE clients read events
 * through these, so they cannot disagree on what is a valid hello, gap or message.
 */

/** What a hello names: the starting cursor, and the stream id to echo heartbeats for (undefined = no echo). */
export interface Hello {
  cursor: number;
  stream: number | undefined;
}

export function helloOf(data: string): Hello | ConnbenchError {
  const hello = parseJson(data) as { cursor?: unknown; stream?: unknown } | undefined;
  const cursor = hello?.cursor;
  if (!isUnsigned(cursor)) return transportError('CB_ERR_PROTOCOL', `the hello event carried no cursor: ${data.slice(0, 80)}`);
  const stream = hello!.stream;
  if (stream !== undefined && !isUnsigned(stream))
    return transportError(
      'CB_ERR_PROTOCOL',
      `the hello event carried a stream id that is not a non-negative integer: ${data.slice(0, 80)}`,
    );
  return { cursor, stream };
}

export function gapOf(data: string): Gap | ConnbenchError {
  const g = parseJson(data) as { fromSeq?: unknown; toSeq?: unknown } | undefined;
  if (Number.isSafeInteger(g?.fromSeq) && Number.isSafeInteger(g?.toSeq))
    return { fromSeq: g!.fromSeq as number, toSeq: g!.toSeq as number };
  return transportError('CB_ERR_PROTOCOL', `a gap event carried no range: ${data.slice(0, 80)}`);
}

export function messageOf(data: string): Incoming | ConnbenchError {
  return decodeMessage(data) ?? transportError('CB_ERR_BAD_MESSAGE', `an event did not carry a message: ${data.slice(0, 80)}`);
}

/** messageOf of the data the bytes from `start` to `end` of `b` decode to, read in place when it is the plain envelope. */
export function messageOfBytes(b: Buffer, start: number, end: number): Incoming | ConnbenchError {
  return decodeEnvelopeBytes(b, start, end) ?? messageOf(b.toString('utf8', start, end));
}

function isUnsigned(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
