import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import type { ModelServer, ServerHost, Subscriber } from '../types.js';
import type { LogEntry } from '../log.js';
import { MAX_SEND_BODY_BYTES } from '../sendBody.js';
import { rawResponse } from '../http/respond.js';
import { FrameCache } from '../push/frameCache.js';
import { CorkBatch, type Corkable } from '../push/corkBatch.js';
import { applyTcpKeepAlive } from '../keepAlive.js';
import { HeartbeatSweeper, type Pingable } from '../push/heartbeat.js';
import { StallSweeper } from '../push/stallSweeper.js';
import { cutNow, slowReaderQueueBytesOf, stallTimeoutMsOf } from '../serverLimits.js';
import { parseCursor, parseUser, startStream } from '../push/subscription.js';
import { partialMessage } from './partialMessage.js';
import { gapText, helloText, parseClientText, textFrame, textOf } from './protocol.js';
import { lazyPackage } from '../../util/lazyPackage.js';

const wsPackage = lazyPackage<typeof import('ws')>('ws');

/** An empty server ping: 2 header bytes (server frames are not masked). */
const WS_PING_FRAME_BYTES = 2;
/** Close code for a frame we cannot use (RFC 6455 §7.4.1: policy violation). */
const CLOSE_BAD_FRAME = 1008;

/** One upgraded connection. A class, not closures, so thousands of them share their methods. */
class WsConnection implements Subscriber, Pingable, Corkable {
  /** The last seq written: anything at or below it is never written again. */
  lastSeq = 0;
  awaitingPongSinceMs: number | undefined;
  corked = false;
  caughtUp = false;
  queueAllowanceBytes = 0;
  /** Messages received whole: the stall sweeper's measure of progress. */
  messagesIn = 0;
  readonly user: string | undefined;
  readonly ws: WebSocket;
  /** The upgraded socket, which ws writes to as well (see push()). */
  readonly socket: Duplex;
  readonly server: WebsocketServer;

  constructor(server: WebsocketServer, ws: WebSocket, socket: Duplex, user: string | undefined) {
    this.server = server;
    this.ws = ws;
    this.socket = socket;
    this.user = user;
  }

  push(entry: LogEntry): void {
    if (entry.seq <= this.lastSeq) return;
    this.lastSeq = entry.seq;
    // The entry's complete frame goes straight to the socket: ws would allocate a header and issue
    // two writes per socket per message. ws writes synchronously too (no deflate, no Blobs), so
    // its frames and these never interleave.
    if (this.ws.readyState === this.ws.OPEN) this.server.write(this, entry);
  }
}

/**
 * ws's WebSocket that knows its connection, so that one set of listeners (below) serves every
 * connection: listeners made per connection would be closures, memory multiplied by the client count.
 * Made from ws's class when the first server is, since ws is loaded then (lazyPackage).
 */
function serverWebSocketOf(base: typeof WebSocket) {
  return class ServerWebSocket extends base {
    conn: WsConnection | undefined;
  };
}
type ServerWebSocketClass = ReturnType<typeof serverWebSocketOf>;
type ServerWebSocket = InstanceType<ServerWebSocketClass>;
let serverWebSocketClass: ServerWebSocketClass | undefined;

/** The connection of a socket the server accepted (every one is a ServerWebSocket). */
function connOf(ws: WebSocket): WsConnection {
  return (ws as ServerWebSocket).conn!;
}

function onClose(this: WebSocket): void {
  const conn = connOf(this);
  conn.server.closed(conn);
}

// ws closes the connection itself on a protocol error (1002, 1009, …); counting is all that is left.
function onError(this: WebSocket): void {
  connOf(this).server.badFrame();
}

function onPong(this: WebSocket): void {
  connOf(this).awaitingPongSinceMs = undefined;
}

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const conn = connOf(this);
  conn.server.received(conn, data, isBinary);
}

/**
 * The websocket reference server: `GET /ws?cursor=N&user=U` upgrades to a stream of text frames,
 * hello first, then backlog and live messages; chat sends come back on the same connection.
 */
export class WebsocketServer implements ModelServer {
  private host: ServerHost | undefined;
  // No clientTracking: the server keeps its own set of connections, and ws's would add a set entry
  // and a close listener per connection.
  private readonly wss = new (wsPackage().WebSocketServer)<ServerWebSocketClass>({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: MAX_SEND_BODY_BYTES,
    WebSocket: (serverWebSocketClass ??= serverWebSocketOf(wsPackage().WebSocket)),
  });
  private readonly conns = new Set<WsConnection>();
  private readonly frames = new FrameCache((e) => textFrame(e.json));
  /** Every subscriber of one publish tick gets its frames in one writev. */
  private readonly batch = new CorkBatch<WsConnection>();
  private heartbeat: HeartbeatSweeper<WsConnection> | undefined;
  /** A message left unfinished (a fragment at a time, pongs between) is cut at the stall timeout. */
  private stalls: StallSweeper<WsConnection> | undefined;
  private closing = false;

  attach(host: ServerHost): void {
    this.host = host;
    host.upgrade('/ws', (req, socket, head, url) => this.onUpgrade(req, socket, head, url));
    const cut = (counter: string) => (c: WsConnection) => {
      host.count(counter);
      cutNow(c.socket);
    };
    this.batch.limitQueue({ queueBytes: slowReaderQueueBytesOf(host.settings), cut: cut('slowReaderCuts') });
    this.stalls = new StallSweeper(
      stallTimeoutMsOf(host.settings),
      (c) => (partialMessage(c.ws) ? c.messagesIn : undefined),
      cut('stalledFrames'),
    );
    this.stalls.start();
    this.heartbeat = new HeartbeatSweeper<WsConnection>(
      host.settings.heartbeat,
      (c) => c.ws.ping(),
      (c) => {
        host.deadPeer();
        c.ws.terminate();
      },
      (pings) => host.count('heartbeatBytes', pings * WS_PING_FRAME_BYTES),
    );
    this.heartbeat.start();
  }

  /** Writes an entry's shared frame, corked with the rest of this tick's writes. */
  write(conn: WsConnection, entry: LogEntry): void {
    this.batch.write(conn, this.frames.of(entry));
  }

  async close(): Promise<void> {
    this.closing = true;
    this.heartbeat?.stop();
    this.stalls?.stop();
    const open = [...this.conns];
    await Promise.all(
      open.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === c.ws.CLOSED) return resolve();
            c.ws.once('close', () => resolve());
            c.ws.terminate();
          }),
      ),
    );
    this.wss.close();
    this.frames.clear();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const host = this.host!;
    applyTcpKeepAlive(socket, host.settings.tcpKeepAliveMs);
    if (this.closing) return refuse(socket, 503, 'Service Unavailable', 'CB_ERR_SHUTTING_DOWN', 'the server is closing');
    const requested = parseCursor(url.searchParams.get('cursor'));
    if ('invalid' in requested) {
      host.count('badRequests');
      return refuse(socket, 400, 'Bad Request', 'CB_ERR_BAD_CURSOR', `cursor must be a non-negative integer, got "${requested.invalid}"`);
    }
    const user = parseUser(url.searchParams.get('user'));
    // Invalid handshakes (no key, wrong version) are answered and closed by ws itself.
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onOpen(ws, socket, user, requested.cursor));
  }

  private onOpen(ws: ServerWebSocket, socket: Duplex, user: string | undefined, cursor: number | null): void {
    const host = this.host!;
    const conn = new WsConnection(this, ws, socket, user);
    ws.conn = conn;
    this.conns.add(conn);
    ws.on('close', onClose);
    ws.on('error', onError);
    ws.on('pong', onPong);
    ws.on('message', onMessage);
    this.heartbeat?.add(conn);
    this.stalls?.add(conn);

    startStream(host, conn, cursor, { hello: (at) => ws.send(helloText(at)), gap: (gap) => ws.send(gapText(gap)) });
  }

  /** The connection has closed, by either side. */
  closed(conn: WsConnection): void {
    this.conns.delete(conn);
    this.heartbeat?.delete(conn);
    this.stalls?.delete(conn);
    this.host?.hub.remove(conn);
  }

  badFrame(): void {
    this.host?.count('badFrames');
  }

  /** A message from the client: a chat send, or a frame that breaks the protocol. */
  received(conn: WsConnection, data: RawData, isBinary: boolean): void {
    conn.awaitingPongSinceMs = undefined;
    conn.messagesIn++;
    const host = this.host!;
    const parsed = isBinary ? { invalid: 'binary frames are not part of the protocol' } : parseClientText(textOf(data));
    if ('invalid' in parsed) {
      host.count('badFrames');
      // The reason is capped at 123 bytes by RFC 6455; ours are short.
      conn.ws.close(CLOSE_BAD_FRAME, `CB_ERR_BAD_FRAME: ${parsed.invalid}`.slice(0, 120));
      return;
    }
    host.accept(conn.user, { to: parsed.to, t: parsed.t, body: parsed.body });
  }
}

/** Answers an upgrade we will not take with a plain HTTP response and closes the socket. */
function refuse(socket: Duplex, status: number, reason: string, code: string, message: string): void {
  socket.end(rawResponse(status, reason, code, message));
}
