import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { rawResponse, respond } from '../models/http/respond.js';
import type { HttpHandler, UpgradeHandler } from '../models/types.js';
import type { Count } from './counters.js';

/**
 * The HTTP listener's route and upgrade tables, and the answer to every request no handler takes:
 * 400 (bad URL or unparsable request), 404, 405 naming the methods the path has, 408 (headers too
 * slow), 500 (a handler threw). Each is counted, so a run shows what its clients got wrong.
 */
export class HttpRoutes {
  private readonly routes = new Map<string, HttpHandler>();
  private readonly upgrades = new Map<string, UpgradeHandler>();

  constructor(private readonly count: Count) {}

  route(method: 'GET' | 'POST', path: string, handler: HttpHandler): void {
    const key = `${method} ${path}`;
    if (!this.routes.has(key)) this.routes.set(key, handler);
  }

  upgrade(path: string, handler: UpgradeHandler): void {
    if (!this.upgrades.has(path)) this.upgrades.set(path, handler);
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = urlOf(req);
    if (!url) {
      this.count('badRequests');
      return void respond(res, 400, { error: 'CB_ERR_BAD_URL', message: 'the request URL could not be parsed' });
    }
    const handler = this.routes.get(`${req.method} ${url.pathname}`);
    if (!handler) {
      const known = [...this.routes.keys()].filter((k) => k.endsWith(` ${url.pathname}`));
      // A 405 names the methods the path has in Allow (RFC 9110, 15.5.6), as well as in its message.
      const allow = known.map((k) => k.slice(0, k.indexOf(' '))).join(', ');
      if (known.length > 0) return void respond(res, 405, { error: 'CB_ERR_METHOD', message: `use ${known.join(' or ')}` }, { allow });
      this.count('notFound');
      return void respond(res, 404, { error: 'CB_ERR_NOT_FOUND', message: `no route ${req.method} ${url.pathname}` });
    }
    try {
      handler(req, res, url);
    } catch (err) {
      // A handler must never take the server down: answer 500 and count it.
      this.count('handlerErrors');
      if (!res.headersSent) respond(res, 500, { error: 'CB_ERR_INTERNAL', message: String((err as Error)?.message ?? err) });
      else res.destroy();
    }
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = urlOf(req);
    if (!url) {
      this.count('badRequests');
      return void socket.end(rawResponse(400, 'Bad Request', 'CB_ERR_BAD_URL', 'the request URL could not be parsed'));
    }
    const handler = this.upgrades.get(url.pathname);
    if (!handler) {
      this.count('notFound');
      return void socket.end(rawResponse(404, 'Not Found', 'CB_ERR_NOT_FOUND', `no upgrade at ${url.pathname}`));
    }
    try {
      handler(req, socket, head, url);
    } catch {
      this.count('handlerErrors');
      socket.destroy();
    }
  }

  /**
   * Node's HTTP parser gave up on the connection: bad bytes, headers past their timeout, or a body
   * past the stall timeout (both timeouts are ERR_HTTP_REQUEST_TIMEOUT; a request whose headers
   * were parsed is a stalled body).
   */
  handleClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const body = timedOut && (socket as { parser?: { incoming?: IncomingMessage | null } }).parser?.incoming != null;
    this.count(!timedOut ? 'clientErrors' : body ? 'bodyTimeouts' : 'headersTimeouts');
    // Never write into a response already streaming on this socket (an SSE stream, say), nor after
    // one already answered the request whose body then stalled.
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (!socket.writable || inFlight?.headersSent || (body && !inFlight)) return void socket.destroy();
    if (body) socket.end(rawResponse(408, 'Request Timeout', 'CB_ERR_BODY_TIMEOUT', 'the request body did not all arrive in time'));
    else if (timedOut)
      socket.end(rawResponse(408, 'Request Timeout', 'CB_ERR_HEADERS_TIMEOUT', 'the request headers did not arrive in time'));
    else socket.end(rawResponse(400, 'Bad Request', 'CB_ERR_BAD_REQUEST', `the request could not be parsed (${err.code ?? 'error'})`));
  }
}

function urlOf(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://connbench.local');
  } catch {
    return undefined;
  }
}
