import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { respond } from '../../models/http/respond.js';
import { toControlSchema } from '../../ipc/control.js';
import { nowUsFine } from '../../metrics/clock.js';
import { ConnbenchError, runError } from '../../util/errors.js';
import { formatIssues } from '../../scenario/load.js';
import type { Controller } from './controller.js';
import type { ShardResultStore } from './resultStore.js';

/** A request of the control API is a few kB, a shard's expected-count request one entry per client: 50,000 clients is about 1 MB. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/** A shard's result holds an encoded histogram per worker and model run. */
const MAX_RESULT_BYTES = 64 * 1024 * 1024;

/** HTTP status of an error the control API answers, by its code; otherwise 400 for bad input and 500 for the rest. */
const STATUS_OF: Record<string, number> = {
  CB_ERR_UNKNOWN_RUN: 404,
  CB_ERR_NOT_FOUND: 404,
  CB_ERR_TOO_LARGE: 413,
  CB_ERR_SERVER_BUSY: 409,
  CB_ERR_RUN_UNDER_WAY: 409,
  CB_ERR_SHARD_MISMATCH: 409,
  CB_ERR_RUN_CLOSED: 409,
  CB_ERR_NO_SHARDS: 409,
  CB_ERR_TOO_MANY_SOCKETS: 503,
  CB_ERR_NOT_ENOUGH_MEMORY: 503,
};

export interface ControlServerOptions {
  host: string;
  port: number;
  /** Every request must carry `Authorization: Bearer <token>`. */
  token: string;
  controller: Controller;
  results: ShardResultStore;
}

export interface ControlServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The control API's HTTP listener (docs/contract.md, Control API). The token is checked before
 * anything else is read: a request without it, or with another, is answered 401 with no body
 * whatever it asked for. Then the body is read within its limit, parsed, checked against its
 * schema, and handed to the controller; its errors are JSON with a stable code.
 */
export async function listenControl(o: ControlServerOptions): Promise<ControlServer> {
  const expected = digest(`Bearer ${o.token}`);
  const server = http.createServer((req, res) => {
    if (!timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-length': 0 });
      return void res.end();
    }
    route(o, req, res).catch((err: unknown) => answerError(res, err));
  });
  // The barrier and the drain hold requests for up to MAX_WAIT_MS; nothing of Node's own may cut them first.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? runError('CB_ERR_PORT_IN_USE', `port ${o.port} is already in use`, 'pick another with --port, or stop what holds it')
          : runError(
              'CB_ERR_CONTROL_LISTEN',
              `the control API cannot listen on ${o.host}:${o.port}: ${err.message}`,
              'check --host and --port',
            ),
      ),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

type Handler = (o: ControlServerOptions, req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** The control API's routes by path and method; a 405's Allow header lists a path's methods from here. */
const ROUTES: ReadonlyMap<string, Readonly<Record<string, Handler>>> = new Map<string, Record<string, Handler>>([
  [
    '/control/clock',
    {
      GET: (_o, _req, res) => {
        // The hot path of a clock estimate: nothing before the reading but the token check and the lookup.
        const body = `{"us":${nowUsFine()}}`;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        res.end(body);
      },
    },
  ],
  [
    '/control',
    {
      POST: async (o, req, res) => {
        const parsed = toControlSchema.safeParse(parseJson(await readBody(req, MAX_REQUEST_BYTES)));
        if (!parsed.success)
          throw badRequest('CB_ERR_BAD_CONTROL', `not a control request: ${formatIssues(parsed.error.issues).slice(0, 5).join('; ')}`);
        respond(res, 200, await o.controller.handle(parsed.data));
      },
    },
  ],
  [
    '/control/results',
    {
      GET: (o, _req, res) => respond(res, 200, { type: 'results', results: o.results.list() }),
      POST: async (o, req, res) => {
        const name = await o.results.put(parseJson(await readBody(req, MAX_RESULT_BYTES)));
        respond(res, 200, { type: 'stored', name });
      },
    },
  ],
]);

async function route(o: ControlServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const method = req.method ?? 'GET';
  const methods = ROUTES.get(path);
  const handler = methods && Object.hasOwn(methods, method) ? methods[method] : undefined;
  if (handler) return handler(o, req, res);
  req.resume();
  if (!methods) throw new ConnbenchError('CB_ERR_NOT_FOUND', `no route ${method} ${path}`, { kind: 'input' });
  // A 405 names the methods the path has in Allow (RFC 9110, 15.5.6), as the reference server's does.
  const allowed = Object.keys(methods);
  respond(
    res,
    405,
    { error: 'CB_ERR_METHOD', message: `no route ${method} ${path}: use ${allowed.join(' or ')}` },
    { allow: allowed.join(', ') },
  );
}

function badRequest(code: string, message: string): ConnbenchError {
  return new ConnbenchError(code, message, { kind: 'input' });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest('CB_ERR_BAD_JSON', `the body is not JSON: ${(err as Error).message}`);
  }
}

/** The body as text, or CB_ERR_TOO_LARGE as soon as it passes `limit` bytes (by its content-length or as it arrives). */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () => new ConnbenchError('CB_ERR_TOO_LARGE', `a body here may be at most ${limit} bytes`, { kind: 'input' });
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.destroy();
        reject(tooLarge());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function answerError(res: ServerResponse, err: unknown): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  const e = err instanceof ConnbenchError ? err : undefined;
  const status = e ? (STATUS_OF[e.code] ?? (e.kind === 'input' ? 400 : 500)) : 500;
  const body = {
    error: e?.code ?? 'CB_ERR_INTERNAL',
    message: e?.message ?? String((err as Error)?.message ?? err),
    ...(e?.hint ? { hint: e.hint } : {}),
  };
  respond(res, status, body, status === 413 ? { connection: 'close' } : undefined);
}
