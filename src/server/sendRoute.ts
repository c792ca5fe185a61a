import type { IncomingMessage } from 'node:http';
import { respond } from '../models/http/respond.js';
import { MAX_SEND_BODY_BYTES, parseSendBody, type SendBody, type SendError } from '../models/sendBody.js';
import type { HttpHandler, ServerHost } from '../models/types.js';

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

/** The chat route, `POST /send`: the body's message goes into the log, and the answer is its seq. */
export function sendRoute(host: Pick<ServerHost, 'accept' | 'count'>): HttpHandler {
  return (req, res) =>
    readSendBody(req, (err, body) => {
      // Runs from the request's events, where a throw would take the server down.
      try {
        if (res.headersSent || res.destroyed) return;
        // Cut a refused body's connection rather than read the rest of it.
        if (err)
          return respond(
            res,
            err.status,
            { error: err.code, message: err.message },
            err.status === 413 ? { connection: 'close' } : undefined,
          );
        const entry = host.accept(body!.from, { to: body!.to, t: body!.t, body: body!.body });
        respond(res, 200, { seq: entry.seq });
      } catch {
        host.count('handlerErrors');
        res.destroy();
      }
    });
}
