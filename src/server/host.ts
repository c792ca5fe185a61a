import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type net from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { MessageLog } from './messageLog.js';
import { type LogEntry } from '../models/log.js';
import { Hub } from './hub.js';
import type { HttpHandler, ModelServer, ServerHost, ServerSettings, UpgradeHandler } from '../models/types.js';
import type { Outgoing } from '../models/message.js';
import { codeOfSocketError } from '../util/errors.js';
import { sendRoute } from './sendRoute.js';
import { withholdFilter, type WithholdSpec } from './withhold.js';
import { Admission } from './admission.js';
import { HostCounters, type WireBytes } from './counters.js';
import { resetFractionOf } from './faultInjection.js';
import { HttpRoutes } from './httpRoutes.js';
import {
  DEFAULT_HEADERS_TIMEOUT_MS,
  countTls,
  createHttpListener,
  createTcpListener,
  listenAll,
  stopListening,
  type Listener,
} from './listeners.js';
import type { ListenerTls, Ports } from '../models/listeners.js';
import { stallTimeoutMsOf } from '../models/serverLimits.js';

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
  /** TLS on every listener (HTTPS, and TLS on the tcp port); absent = plain. */
  tls?: ListenerTls;
}

/**
 * The reference server's shared part: one HTTP listener (routes and upgrades registered by the
 * model servers), one raw TCP listener, the message log and the subscriber hub. Routing, counting,
 * admission, fault injection and the chat route are modules of their own; this class hands each
 * listener event to them.
 */
export class ReferenceHost implements ServerHost {
  readonly log: MessageLog;
  readonly hub: Hub;
  readonly settings: ServerSettings;
  readonly httpServer: http.Server;
  readonly tcpServer: net.Server;
  private readonly tally = new HostCounters();
  readonly counters: Record<string, number> = this.tally.byName;
  private readonly routes = new HttpRoutes((name) => this.count(name));
  private readonly admission: Admission;
  /** listen() and close() go through this list, so a listener of another kind is one more entry. */
  private readonly listeners: readonly Listener[];
  private tcpHandler: ((s: Socket) => void) | undefined;
  private readonly models: ModelServer[] = [];
  private readonly opts: HostOptions;

  constructor(opts: HostOptions) {
    this.opts = opts;
    this.settings = opts.settings;
    this.log = new MessageLog(opts.retention);
    if (opts.withhold) this.log.withheld = withholdFilter(opts.withhold);
    this.hub = new Hub(this.log);
    this.admission = new Admission(
      opts.maxConnections ?? Infinity,
      (name) => this.count(name),
      (s) => this.tally.socketClosed(s),
    );
    const headersTimeoutMs = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    this.httpServer = createHttpListener(headersTimeoutMs, stallTimeoutMsOf(opts.settings), opts.tls);
    this.tcpServer = createTcpListener((s) => this.onTcpConnection(s), opts.tls, headersTimeoutMs);
    if (opts.tls) {
      countTls(this.httpServer, (name) => this.count(name));
      countTls(this.tcpServer, (name) => this.count(name));
      // Admission sees each TCP connection as it is accepted, before its handshake: a refusal costs no TLS.
      this.tcpServer.on('connection', (s: Socket) => {
        if (!this.admission.admit(s)) s.destroy();
      });
    }
    this.listeners = [
      { kind: 'http', server: this.httpServer },
      { kind: 'tcp', server: this.tcpServer },
    ];
    this.httpServer.on('request', (req, res) => this.onRequest(req, res));
    this.httpServer.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.httpServer.on('connection', (s: Socket) => this.admission.admit(s));
    this.httpServer.on('clientError', (err: NodeJS.ErrnoException, socket) => this.routes.handleClientError(err, socket));
    this.route('POST', '/send', sendRoute(this));
  }

  route(method: 'GET' | 'POST', path: string, handler: HttpHandler): void {
    this.routes.route(method, path, handler);
  }

  upgrade(path: string, handler: UpgradeHandler): void {
    this.routes.upgrade(path, handler);
  }

  tcp(handler: (socket: Socket) => void): void {
    this.tcpHandler ??= handler;
  }

  accept(from: string | undefined, m: Outgoing): LogEntry {
    return this.log.append({ t: m.t, ...(from !== undefined ? { from } : {}), to: m.to, body: m.body });
  }

  count(name: string, by = 1): void {
    this.tally.count(name, by);
  }

  deadPeer(): void {
    this.tally.deadPeer();
  }

  /** When peers were declared dead, at or after sinceUs (monotonic µs). */
  deadPeersSince(sinceUs: number): number[] {
    return this.tally.deadPeersSince(sinceUs);
  }

  attach(model: ModelServer): void {
    model.attach(this);
    this.models.push(model);
  }

  /** Listens on every port of `ports`; resolves with the ports taken, rejects with CB_ERR_PORT_IN_USE naming the port. */
  async listen(): Promise<Ports> {
    const opened = this.listeners.filter((l) => this.opts.ports[l.kind] !== undefined);
    const ports = await listenAll(opened, this.opts.host ?? '127.0.0.1', this.opts.ports);
    // Once listening, an error is a failed accept (EMFILE when out of descriptors): count it, since
    // an 'error' event nobody listens to would take the whole server down.
    for (const { server } of opened) server.on('error', (err: unknown) => this.count(`acceptErrors.${codeOfSocketError(err)}`));
    return ports;
  }

  get openConnections(): number {
    return this.admission.open.size;
  }

  /** Connections accepted so far per client source address, so a run shows how it spread them. */
  acceptedBySourceAddress(): Record<string, number> {
    return this.admission.acceptedBySourceAddress();
  }

  /** Drop fault: resets (RST) an exact `fraction` of the open connections (src/server/faultInjection.ts). */
  resetFraction(fraction: number): { reset: number; open: number } {
    return resetFractionOf(this.admission.open, fraction);
  }

  async close(): Promise<void> {
    // Stop accepting first: a client reconnects the moment its connection closes, and 50,000 of
    // them would otherwise be accepted by a server that is closing, only to be closed again.
    const listenersClosed = stopListening(this.listeners);
    await Promise.all(this.models.map((m) => m.close().catch(() => undefined)));
    this.admission.destroyAll();
    this.httpServer.closeAllConnections();
    await listenersClosed;
  }

  /** Bytes at the sockets (headers, frames, handshakes and heartbeats included) and HTTP requests. */
  wireBytes(): WireBytes {
    return this.tally.wireBytes(this.admission.open);
  }

  private onTcpConnection(s: Socket): void {
    // No error frame in the tcp contract: a refusal is a connection closed at accept, counted (with TLS, at its 'connection').
    if (!this.opts.tls && !this.admission.admit(s)) return void s.destroy();
    if (!this.tcpHandler) return void s.destroy();
    try {
      this.tcpHandler(s);
    } catch {
      this.count('handlerErrors');
      s.destroy();
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.tally.httpRequest();
    if (!this.admission.turnAwayRequest(req, res)) this.routes.handleRequest(req, res);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node's HTTP server stops handling this socket's errors once it is handed over: a peer reset
    // while we refuse it would be an unhandled 'error' event. 'close' follows and cleans up.
    socket.on('error', ignore);
    if (!this.admission.turnAwayUpgrade(socket)) this.routes.handleUpgrade(req, socket, head);
  }
}

/** An error listener that ignores: one function for every socket, not a closure each. */
function ignore(): void {}
