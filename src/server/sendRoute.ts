import type { IncomingMessage } from 'node:http';

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

export function readSendBody(req: IncomingMessage, done: (err: SendError | null, body?: SendBody) => void): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_SEND_BODY_BYTES) {
    req.resume();
    return done({ status: 413, code: 'CB_ERR_TOO_LARGE', message: `a send body may be at most ${MAX_SEND_BODY_BYTES} bytes` });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_SEND_BODY_BYTES && !failed) {
      failed = true;
      done({ status: 413, code: 'CB_ERR_TOO_LARGE', message: `a send body may be at most ${MAX_SEND_BODY_BYTES} bytes` });
    } else if (!failed) chunks.push(c);
  });
  req.on('end', () => {
    if (failed) return;
    const parsed = parseSendBody(Buffer.concat(chunks).toString('utf8'));
    if ('status' in parsed) done(parsed);
    else done(null, parsed);
  });
  req.on('error', () => {
    if (!failed) {
      failed = true;
      done({ status: 400, code: 'CB_ERR_ABORTED', message: 'the request was aborted' });
    }
  });
}
