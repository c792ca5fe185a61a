import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { MessageLog } from './messageLog.js';
import { type LogEntry } from '../models/log.js';
import { Hub } from './hub.js';
import type { HttpHandler, ModelServer, ServerHost, ServerSettings, UpgradeHandler } from '../models/types.js';
import type { Outgoing } from '../models/message.js';
import { codeOfSocketError, runError } from '../util/errors.js';
import { readSendBody } from './sendRoute.js';
import { withholdFilter, type WithholdSpec } from './withhold.js';
import { nowUs } from '../metrics/clock.js';
import { LISTENER_KINDS, type ListenerKind, type Ports } from '../models/listeners.js';
import { chosen } from '../util/chosen.js';
import { rawResponse, respond } from '../models/http/respond.js';

/**
 * Pending connections the kernel queues per listener before accept. Node's default (511) drops
 * SYNs when thousands of clients connect in the same second (a ramp, a reconnect storm); the SYN is
 * then retried only after 1 s, 3 s, … and shows up as connect time. The kernel caps it at
 * net.core.somaxconn (4096 here), so asking for more is harmless.
 */
export const LISTEN_BACKLOG = 65_535;

/** Node's default; long enough for any honest client, short enough to shed slow-header ones. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;

export interface HostOptions {
  host?: string;
  /** The listeners to open, by kind, each on its port (0 = any free port). */
  ports: Ports;
  retention: number;
  settings: ServerSettings;
  /** A request whose headers have not all arrived within this long is answered 408 and closed. */
  headersTimeoutMs?: number;
  /**
   * Connections held at once (HTTP and TCP together); beyond it HTTP answers 503 and TCP is closed
   * at accept, counted as `refusedConnections`. Default: no limit of our own.
   */
  maxConnections?: number;
  /** Test hook: messages never delivered to chosen users (src/server/withhold.ts). */
  withhold?: WithholdSpec;
}

const TOO_MANY_CONNECTIONS = 'CB_ERR_TOO_MANY_CONNECTIONS';

/** Dead-peer times kept for the heartbeat lab; past this only the count grows (a run may expire many). */
const MAX_DEAD_PEER_TIMES = 100_000;

/**
 * The reference server's shared part: one HTTP listener (routes and upgrades registered by the
 * model servers), one raw TCP listener, the message log and the subscriber hub.
 */
export class ReferenceHost implements ServerHost {
  readonly log: MessageLog;
  readonly hub: Hub;
  readonly settings: ServerSettings;
  readonly httpServer: http.Server;
  readonly tcpServer: net.Server;
  readonly counters: Record<string, number> = {};
  private readonly routes = new Map<string, HttpHandler>();
  private readonly upgrades = new Map<string, UpgradeHandler>();
  private tcpHandler: ((s: Socket) => void) | undefined;
  private readonly models: ModelServer[] = [];
  private readonly opts: HostOptions;
  private readonly sockets = new Set<Socket | Duplex>();
  /** Connections over maxConnections: answered with a refusal, then gone; cut by close() if not. */
  private readonly refused = new Set<Socket | Duplex>();
  private readonly maxConnections: number;
  /** Bytes of sockets already closed; open ones are read live in wireBytes(). */
  private closedSentBytes = 0;
  private closedReceivedBytes = 0;
  private httpRequests = 0;
  /** Connections accepted per client source address (127.0.0.1, 127.0.0.2, …), reconnects included. */
  private readonly acceptedFrom = new Map<string, number>();
  /** Monotonic µs of each deadPeer(), in order, up to MAX_DEAD_PEER_TIMES. */
  private readonly deadPeerAtUs: number[] = [];

  constructor(opts: HostOptions) {
    this.opts = opts;
    this.settings = opts.settings;
    this.log = new MessageLog(opts.retention);
    if (opts.withhold) this.log.withheld = withholdFilter(opts.withhold);
    this.hub = new Hub(this.log);
    this.maxConnections = opts.maxConnections ?? Infinity;
    const headersTimeoutMs = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    this.httpServer = http.createServer({
      keepAlive: true,
      keepAliveTimeout: 0,
      // Node checks header deadlines on this interval only (30 s by default): a short timeout needs a short check.
      connectionsCheckingInterval: Math.min(DEFAULT_HEADERS_TIMEOUT_MS, Math.max(50, Math.round(headersTimeoutMs / 2))),
    });
    // Long polls and streams outlive Node's default request timeouts by design.
    this.httpServer.requestTimeout = 0;
    this.httpServer.headersTimeout = headersTimeoutMs;
    this.httpServer.keepAliveTimeout = 0;
    this.httpServer.on('request', (req, res) => this.onRequest(req, res));
    this.httpServer.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.httpServer.on('connection', (s: Socket) => this.admit(s));
    this.httpServer.on('clientError', (err: NodeJS.ErrnoException, socket) => this.onClientError(err, socket));
    this.tcpServer = net.createServer((s) => {
      // No error frame in the tcp contract: a refusal is a connection closed at accept, counted.
      if (!this.admit(s)) return void s.destroy();
      if (!this.tcpHandler) return void s.destroy();
      try {
        this.tcpHandler(s);
      } catch {
        this.count('handlerErrors');
        s.destroy();
      }
    });
    this.route('POST', '/send', (req, res) => this.onSend(req, res));
  }

  route(method: 'GET' | 'POST', path: string, handler: HttpHandler): void {
    const key = `${method} ${path}`;
    if (!this.routes.has(key)) this.routes.set(key, handler);
  }

  upgrade(path: string, handler: UpgradeHandler): void {
    if (!this.upgrades.has(path)) this.upgrades.set(path, handler);
  }

  tcp(handler: (socket: Socket) => void): void {
    this.tcpHandler ??= handler;
  }

  accept(from: string | undefined, m: Outgoing): LogEntry {
    return this.log.append({ t: m.t, ...(from !== undefined ? { from } : {}), to: m.to, body: m.body });
  }

  count(name: string, by = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + by;
  }

  deadPeer(): void {
    this.count('heartbeatTimeouts');
    if (this.deadPeerAtUs.length < MAX_DEAD_PEER_TIMES) this.deadPeerAtUs.push(nowUs());
  }

  /** When peers were declared dead, at or after sinceUs (monotonic µs). */
  deadPeersSince(sinceUs: number): number[] {
    return this.deadPeerAtUs.filter((at) => at >= sinceUs);
  }

  attach(model: ModelServer): void {
    model.attach(this);
    this.models.push(model);
  }

  /** Listens on every port of `ports`; resolves with the ports taken, rejects with CB_ERR_PORT_IN_USE naming the port. */
  async listen(): Promise<Ports> {
    const host = this.opts.host ?? '127.0.0.1';
    const ports: Ports = {};
    for (const kind of LISTENER_KINDS) {
      const asked = this.opts.ports[kind];
      if (asked === undefined) continue;
      const server = this.listenerOf(kind);
      ports[kind] = await listenOn(server, host, asked);
      // Once listening, an error is a failed accept (EMFILE when out of descriptors): count it, since
      // an 'error' event nobody listens to would take the whole server down.
      server.on('error', (err: unknown) => this.count(`acceptErrors.${codeOfSocketError(err)}`));
    }
    return ports;
  }

  private listenerOf(kind: ListenerKind): net.Server {
    switch (kind) {
      case 'http':
        return this.httpServer;
      case 'tcp':
        return this.tcpServer;
    }
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /** Connections accepted so far per client source address, so a run shows how it spread them. */
  acceptedBySourceAddress(): Record<string, number> {
    return Object.fromEntries(this.acceptedFrom);
  }

  /** Drop fault: resets (RST) every k-th open connection, an exact `fraction` of them, as a crashed middlebox would. */
  resetFraction(fraction: number): { reset: number; open: number } {
    const open = [...this.sockets].filter((s) => !s.destroyed);
    let reset = 0;
    open.forEach((s, i) => {
      if (!chosen(i, fraction)) return;
      reset++;
      try {
        (s as Socket).resetAndDestroy();
      } catch {
        s.destroy();
      }
    });
    return { reset, open: open.length };
  }

  async close(): Promise<void> {
    // Stop accepting first: a client reconnects the moment its connection closes, and 50,000 of
    // them would otherwise be accepted by a server that is closing, only to be closed again.
    const listenersClosed = Promise.all([stopListening(this.httpServer), stopListening(this.tcpServer)]);
    await Promise.all(this.models.map((m) => m.close().catch(() => undefined)));
    for (const s of this.sockets) s.destroy();
    for (const s of this.refused) s.destroy();
    this.httpServer.closeAllConnections();
    await listenersClosed;
  }

  /** Bytes at the sockets (headers, frames, handshakes and heartbeats included) and HTTP requests. */
  wireBytes(): { sentBytes: number; receivedBytes: number; httpRequests: number } {
    let sent = this.closedSentBytes;
    let received = this.closedReceivedBytes;
    for (const s of this.sockets) {
      sent += (s as Socket).bytesWritten ?? 0;
      received += (s as Socket).bytesRead ?? 0;
    }
    return { sentBytes: sent, receivedBytes: received, httpRequests: this.httpRequests };
  }

  /** Tracks a new connection, or marks it refused when the host holds maxConnections already. */
  private admit(s: Socket): boolean {
    if (this.sockets.size < this.maxConnections) {
      this.track(s);
      return true;
    }
    this.count('refusedConnections');
    this.refused.add(s);
    s.once('close', () => this.refused.delete(s));
    return false;
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    this.count(timedOut ? 'headersTimeouts' : 'clientErrors');
    // Never write into a response already streaming on this socket (an SSE stream, say).
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || inFlight?.headersSent) return void socket.destroy();
    if (timedOut) socket.end(rawResponse(408, 'Request Timeout', 'CB_ERR_HEADERS_TIMEOUT', 'the request headers did not arrive in time'));
    else socket.end(rawResponse(400, 'Bad Request', 'CB_ERR_BAD_REQUEST', `the request could not be parsed (${err.code ?? 'error'})`));
  }

  private track(s: Socket | Duplex): void {
    if (this.sockets.has(s)) return;
    this.sockets.add(s);
    const from = (s as Socket).remoteAddress ?? 'unknown';
    this.acceptedFrom.set(from, (this.acceptedFrom.get(from) ?? 0) + 1);
    s.once('close', () => {
      this.sockets.delete(s);
      this.closedSentBytes += (s as Socket).bytesWritten ?? 0;
      this.closedReceivedBytes += (s as Socket).bytesRead ?? 0;
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.httpRequests++;
    if (this.refused.has(req.socket))
      return void respond(res, 503, { error: TOO_MANY_CONNECTIONS, message: tooMany(this.maxConnections) }, { connection: 'close' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://connbench.local');
    } catch {
      this.count('badRequests');
      return void respond(res, 400, { error: 'CB_ERR_BAD_URL', message: 'the request URL could not be parsed' });
    }
    const handler = this.routes.get(`${req.method} ${url.pathname}`);
    if (!handler) {
      const known = [...this.routes.keys()].filter((k) => k.endsWith(` ${url.pathname}`));
      if (known.length > 0) return void respond(res, 405, { error: 'CB_ERR_METHOD', message: `use ${known.join(' or ')}` });
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

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node's HTTP server stops handling this socket's errors once it is handed over: a peer reset
    // while we refuse it would be an unhandled 'error' event. 'close' follows and cleans up.
    socket.on('error', () => undefined);
    if (this.refused.has(socket))
      return void socket.end(rawResponse(503, 'Service Unavailable', TOO_MANY_CONNECTIONS, tooMany(this.maxConnections)));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://connbench.local');
    } catch {
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

  private onSend(req: IncomingMessage, res: ServerResponse): void {
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
        const entry = this.accept(body!.from, { to: body!.to, t: body!.t, body: body!.body });
        respond(res, 200, { seq: entry.seq });
      } catch {
        this.count('handlerErrors');
        res.destroy();
      }
    });
  }
}

function tooMany(max: number): string {
  return `the server holds its limit of ${max} connections; try again later`;
}

function listenOn(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(runError('CB_ERR_PORT_IN_USE', `port ${port} on ${host} is already in use`, 'choose another port, or 0 for any free port'));
      else reject(runError('CB_ERR_LISTEN', `could not listen on ${host}:${port}: ${err.message}`, undefined, err));
    };
    server.once('error', onError);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Closes the listener at once; resolves when its last connection has gone too. */
function stopListening(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
