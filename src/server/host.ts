import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { MessageLog, type LogEntry } from './messageLog.js';
import { Hub } from './hub.js';
import type { HttpHandler, ModelServer, ServerHost, ServerSettings, UpgradeHandler } from '../models/types.js';
import type { Outgoing } from '../models/message.js';
import { runError } from '../util/errors.js';
import { readSendBody } from './sendRoute.js';

export interface HostOptions {
  host?: string;
  /** 0 = any free port. */
  httpPort?: number;
  tcpPort?: number;
  retention: number;
  settings: ServerSettings;
}

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
  /** Bytes of sockets already closed; open ones are read live in wireBytes(). */
  private closedSentBytes = 0;
  private closedReceivedBytes = 0;
  private httpRequests = 0;

  constructor(opts: HostOptions) {
    this.opts = opts;
    this.settings = opts.settings;
    this.log = new MessageLog(opts.retention);
    this.hub = new Hub(this.log);
    this.httpServer = http.createServer({ keepAlive: true, keepAliveTimeout: 0 });
    // Long polls and streams outlive Node's default request timeouts by design.
    this.httpServer.requestTimeout = 0;
    this.httpServer.headersTimeout = 30_000;
    this.httpServer.keepAliveTimeout = 0;
    this.httpServer.on('request', (req, res) => this.onRequest(req, res));
    this.httpServer.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.httpServer.on('connection', (s: Socket) => this.track(s));
    this.httpServer.on('clientError', (_err, socket) => {
      this.count('clientErrors');
      // Never write a 400 into a response already streaming on this socket (an SSE stream, say).
      const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
      if (socket.writable && !inFlight?.headersSent) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.tcpServer = net.createServer((s) => {
      this.track(s);
      if (this.tcpHandler) this.tcpHandler(s);
      else s.destroy();
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

  attach(model: ModelServer): void {
    model.attach(this);
    this.models.push(model);
  }

  /** Listens on both ports; rejects with CB_ERR_PORT_IN_USE naming the port. */
  async listen(): Promise<{ httpPort: number; tcpPort: number }> {
    const host = this.opts.host ?? '127.0.0.1';
    const httpPort = await listenOn(this.httpServer, host, this.opts.httpPort ?? 0);
    const tcpPort = await listenOn(this.tcpServer, host, this.opts.tcpPort ?? 0);
    return { httpPort, tcpPort };
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    await Promise.all(this.models.map((m) => m.close().catch(() => undefined)));
    for (const s of this.sockets) s.destroy();
    await Promise.all([closeServer(this.httpServer), closeServer(this.tcpServer)]);
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

  private track(s: Socket | Duplex): void {
    if (this.sockets.has(s)) return;
    this.sockets.add(s);
    s.once('close', () => {
      this.sockets.delete(s);
      this.closedSentBytes += (s as Socket).bytesWritten ?? 0;
      this.closedReceivedBytes += (s as Socket).bytesRead ?? 0;
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.httpRequests++;
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
    this.track(socket);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://connbench.local');
    } catch {
      return void socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    }
    const handler = this.upgrades.get(url.pathname);
    if (!handler) return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    try {
      handler(req, socket, head, url);
    } catch {
      this.count('handlerErrors');
      socket.destroy();
    }
  }

  private onSend(req: IncomingMessage, res: ServerResponse): void {
    readSendBody(req, (err, body) => {
      if (err) return respond(res, err.status, { error: err.code, message: err.message });
      const entry = this.accept(body!.from, { to: body!.to, t: body!.t, body: body!.body });
      respond(res, 200, { seq: entry.seq });
    });
  }
}

export function respond(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function listenOn(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(runError('CB_ERR_PORT_IN_USE', `port ${port} on ${host} is already in use`, 'choose another port, or 0 for any free port'));
      else reject(runError('CB_ERR_LISTEN', `could not listen on ${host}:${port}: ${err.message}`, undefined, err));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    (server as http.Server).closeAllConnections?.();
  });
}
