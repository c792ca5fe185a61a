/** A chat send as every model carries it (POST /send, a websocket text frame, a tcp SEND frame). */

/** The largest `POST /send` body accepted; larger ones get 413 before they are buffered. */
export const MAX_SEND_BODY_BYTES = 1024 * 1024;

export interface SendBody {
  from?: string;
  to: string;
  t: number;
  body: string;
}

export interface SendError {
  status: number;
  code: string;
  message: string;
}

/** Parses and validates a chat send `{"from":"u1","to":"u2","t":123,"body":"…"}`. Pure. */
export function parseSendBody(text: string): SendBody | SendError {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { status: 400, code: 'CB_ERR_BAD_JSON', message: 'the body is not JSON' };
  }
  const o = v as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || typeof o.to !== 'string' || typeof o.t !== 'number' || typeof o.body !== 'string')
    return { status: 400, code: 'CB_ERR_BAD_SEND', message: 'expected {"to":string,"t":number,"body":string[,"from":string]}' };
  const body: SendBody = { to: o.to, t: o.t, body: o.body };
  if (typeof o.from === 'string') body.from = o.from;
  return body;
}
