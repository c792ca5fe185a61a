import type { Socket } from 'node:net';
import type { ModelServer, ServerHost, Subscriber } from '../types.js';
import type { LogEntry } from '../log.js';
import { parseSendBody } from '../sendBody.js';
import { FrameCache } from '../push/frameCache.js';
import { CorkBatch, type Corkable } from '../push/corkBatch.js';
import { applyTcpKeepAlive } from '../keepAlive.js';
import { HeartbeatSweeper, type Pingable } from '../push/heartbeat.js';
import { StallSweeper } from '../push/stallSweeper.js';
import { queueVerdict } from '../push/slowReader.js';
import { cutNow, slowReaderQueueBytesOf, stallTimeoutMsOf } from '../serverLimits.js';
import { startStream } from '../push/subscription.js';
import { FrameDecoder, FrameType, MAX_CLIENT_FRAME_LENGTH_BYTES, encodeFrame, type Frame } from './framing.js';
import { PING_FRAME, PONG_FRAME, gapFrame, parseClientHello, serverHelloFrame } from './protocol.js';

/** One raw TCP connection. A class, not closures, so thousands of them share their methods. */
class TcpConnection implements Subscriber, Pingable, Corkable {
  /** The last seq written: anything at or below it is never written again. */
  lastSeq = 0;
  awaitingPongSinceMs: number | undefined;
  corked = false;
  caughtUp = false;
  queueAllowanceBytes = 0;
  /** Frames received whole: the stall sweeper's measure of progress. */
  framesIn = 0;
  /** Set by the client's HELLO; until then the connection is not subscribed. */
  user: string | undefined;
  subscribed = false;
  readonly socket: Socket;
  readonly decoder = new FrameDecoder(MAX_CLIENT_FRAME_LENGTH_BYTES);
  private readonly server: TcpServer;

  constructor(server: TcpServer, socket: Socket) {
    this.server = server;
    this.socket = socket;
  }

  push(entry: LogEntry): void {
    if (entry.seq <= this.lastSeq) return;
    this.lastSeq = entry.seq;
    this.server.write(this, entry);
  }
}

/**
 * The tcp reference server, on its own port: the client's HELLO names its cursor and user; the
 * server answers HELLO, then a GAP if retention dropped some, the backlog and live MSG frames.
 */
export class TcpServer implements ModelServer {
  private host: ServerHost | undefined;
  private readonly conns = new Set<TcpConnection>();
  private readonly frames = new FrameCache((e) => encodeFrame(FrameType.MSG, e.json));
  /** Every subscriber of one publish tick gets its frames in one writev. */
  private readonly batch = new CorkBatch<TcpConnection>();
  private heartbeat: HeartbeatSweeper<TcpConnection> | undefined;
  /** A frame left unfinished, however steadily its bytes trickle in, is cut at the stall timeout. */
  private stalls: StallSweeper<TcpConnection> | undefined;
  /** The slow-reader limit (ServerSettings.slowReaderQueueBytes), set at attach. */
  private queueBytes = Infinity;
  private closing = false;

  attach(host: ServerHost): void {
    this.host = host;
    host.tcp((socket) => this.onConnection(socket));
    this.queueBytes = slowReaderQueueBytesOf(host.settings);
    this.batch.limitQueue({ queueBytes: this.queueBytes, cut: (c) => this.cut(c, 'slowReaderCuts') });
    this.stalls = new StallSweeper(
      stallTimeoutMsOf(host.settings),
      (c) => (c.decoder.pendingBytes > 0 ? c.framesIn : undefined),
      (c) => this.cut(c, 'stalledFrames'),
    );
    this.stalls.start();
    this.heartbeat = new HeartbeatSweeper<TcpConnection>(
      host.settings.heartbeat,
      (c) => c.socket.write(PING_FRAME),
      (c) => {
        host.deadPeer();
        c.socket.destroy();
      },
      (pings) => host.count('heartbeatBytes', pings * PING_FRAME.length),
    );
    this.heartbeat.start();
  }

  /** Writes an entry's shared frame, corked with the rest of this tick's writes; never throws, because it runs inside the hub's fan-out. */
  write(conn: TcpConnection, entry: LogEntry): void {
    if (conn.socket.destroyed) return;
    let frame: Buffer;
    try {
      frame = this.frames.of(entry);
    } catch {
      // Only a payload beyond the 16 MiB frame limit gets here: a scenario no client could read.
      this.host!.count('oversizeMessages');
      return void conn.socket.destroy();
    }
    this.batch.write(conn, frame);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.heartbeat?.stop();
    this.stalls?.stop();
    await Promise.all(
      [...this.conns].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.socket.closed) return resolve();
            c.socket.once('close', () => resolve());
            c.socket.destroy();
          }),
      ),
    );
    this.frames.clear();
  }

  private onConnection(socket: Socket): void {
    if (this.closing) return void socket.destroy();
    const host = this.host!;
    socket.setNoDelay(true);
    applyTcpKeepAlive(socket, host.settings.tcpKeepAliveMs);
    const conn = new TcpConnection(this, socket);
    this.conns.add(conn);
    // Watched from the start: a peer that connects and never says HELLO is dropped too.
    this.heartbeat?.add(conn);
    this.stalls?.add(conn);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    // A reset peer is an ordinary way for a connection to end; 'close' follows and cleans up.
    socket.on('error', ignoreError);
    socket.on('close', () => {
      this.conns.delete(conn);
      this.heartbeat?.delete(conn);
      this.stalls?.delete(conn);
      host.hub.remove(conn);
    });
  }

  private onData(conn: TcpConnection, chunk: Buffer): void {
    conn.awaitingPongSinceMs = undefined;
    const { frames, error } = conn.decoder.push(chunk);
    conn.framesIn += frames.length;
    for (const frame of frames) {
      if (conn.socket.destroyed) return;
      this.onFrame(conn, frame);
    }
    if (error) this.reject(conn, 'badFrames');
  }

  private onFrame(conn: TcpConnection, frame: Frame): void {
    switch (frame.type) {
      case FrameType.PING:
        return this.reply(conn, PONG_FRAME);
      case FrameType.PONG:
        return;
      case FrameType.HELLO:
        return conn.subscribed ? this.reject(conn, 'badFrames') : this.onHello(conn, frame.body);
      case FrameType.SEND: {
        const send = conn.subscribed ? parseSendBody(frame.body.toString('utf8')) : undefined;
        if (!send || 'status' in send) return this.reject(conn, 'badFrames');
        this.host!.accept(conn.user, { to: send.to, t: send.t, body: send.body });
        return;
      }
      default:
        // MSG and GAP only travel from server to client.
        return this.reject(conn, 'badFrames');
    }
  }

  private onHello(conn: TcpConnection, body: Buffer): void {
    const hello = parseClientHello(body);
    // The contract has no error frame: a refused HELLO is a closed connection, counted here.
    if ('invalid' in hello) return this.reject(conn, 'badRequests');
    conn.user = hello.user;
    conn.subscribed = true;
    const socket = conn.socket;
    startStream(this.host!, conn, hello.cursor, {
      hello: (cursor) => socket.write(serverHelloFrame(cursor)),
      gap: (gap) => socket.write(gapFrame(gap)),
    });
  }

  /**
   * A PONG (and only that) is written on the peer's request: a peer that asks without reading
   * the answers is a slow reader like any other (src/models/push/slowReader.ts).
   */
  private reply(conn: TcpConnection, frame: Buffer): void {
    if (queueVerdict(conn, conn.socket.writableLength, this.queueBytes) === 'slow') return this.cut(conn, 'slowReaderCuts');
    conn.socket.write(frame);
  }

  /** A slow reader or a stalled frame: counted, and cut with a reset. */
  private cut(conn: TcpConnection, counter: string): void {
    if (conn.socket.destroyed) return;
    this.host!.count(counter);
    cutNow(conn.socket);
  }

  /** Bad input from a peer: counted, and the connection closed; never an exception. */
  private reject(conn: TcpConnection, counter: string): void {
    this.host!.count(counter);
    conn.socket.destroy();
  }
}

/** One function for every socket, not a closure each. */
function ignoreError(): void {}
