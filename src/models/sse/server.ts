import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ModelServer, ServerHost, Subscriber } from '../types.js';
import type { LogEntry } from '../log.js';
import { respond } from '../http/respond.js';
import { applyTcpKeepAlive } from '../keepAlive.js';
import { FrameCache } from '../push/frameCache.js';
import { CorkBatch, type Corkable } from '../push/corkBatch.js';
import { HeartbeatSweeper, type Pingable } from '../push/heartbeat.js';
import { queueVerdict } from '../push/slowReader.js';
import { parseUser } from '../push/subscription.js';
import { cutNow, slowReaderQueueBytesOf } from '../serverLimits.js';
import { nowUs } from '../../metrics/clock.js';
import { ALIVE_PATH, HEARTBEAT_FRAME, gapFrame, helloFrame, messageFrame } from './frames.js';

const STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
} as const;

/** How long close() lets streams end gracefully before it destroys the ones still open. */
const CLOSE_GRACE_MS = 2000;

const UNSIGNED = /^[0-9]+$/;

/**
 * The resume cursor of a request: `Last-Event-ID` wins over `?cursor=` (a browser's EventSource
 * resumes by the header only); null = from now. A value that is not a non-negative integer is
 * returned as `{ invalid }` so the caller can name it in the 400.
 */
function requestedCursor(req: IncomingMessage, url: URL): { cursor: number | null } | { invalid: string } {
  const header = req.headers['last-event-id'];
  // An empty header is "no id yet" (EventSource never sends one, a hand-made client might).
  const raw = typeof header === 'string' && header !== '' ? header : url.searchParams.get('cursor');
  if (raw === null) return { cursor: null };
  const n = Number(raw);
  if (!UNSIGNED.test(raw) || !Number.isSafeInteger(n)) return { invalid: raw };
  return { cursor: n };
}

/**
 * `text` as one chunk of a chunked HTTP/1.1 body, encoded once: what res.write would put on the
 * socket for it (size line, data, CRLF), as one Buffer instead of four writes of a re-encoded string.
 */
export function httpChunk(text: string): Buffer {
  const bytes = Buffer.byteLength(text);
  const size = `${bytes.toString(16)}\r\n`;
  const chunk = Buffer.allocUnsafe(size.length + bytes + 2);
  chunk.write(size, 0, 'latin1');
  chunk.write(text, size.length, 'utf8');
  chunk.write('\r\n', size.length + bytes, 'latin1');
  return chunk;
}

const HEARTBEAT_CHUNK = httpChunk(HEARTBEAT_FRAME);
const HEARTBEAT_FRAME_BYTES = Buffer.byteLength(HEARTBEAT_FRAME);

/** One open event stream. A class, not closures, so thousands of streams share their methods. */
class SseStream implements Subscriber, Corkable, Pingable {
  /** The last seq written to this stream: anything at or below it is never written again. */
  lastSeq: number;
  readonly user: string | undefined;
  readonly res: ServerResponse;
  /** The response's own socket. */
  readonly socket: Socket;
  /**
   * Frames go to the socket directly, pre-chunked, after the head (a broadcast's chunk is built
   * once for every stream); false where Node's http must frame the body itself (an HTTP/1.0
   * client: no chunking) and res.write does it.
   */
  readonly direct: boolean;
  corked = false;
  caughtUp = false;
  queueAllowanceBytes = 0;
  /** With heartbeat echo: the id the hello names and the echo quotes; undefined without. */
  readonly id: number | undefined;
  /** With heartbeat echo: since when a heartbeat is unanswered (only an echo clears it). */
  awaitingPongSinceMs: number | undefined;
  private readonly server: SseServer;

  constructor(server: SseServer, res: ServerResponse, user: string | undefined, lastSeq: number, id: number | undefined) {
    this.server = server;
    this.res = res;
    this.user = user;
    this.lastSeq = lastSeq;
    this.id = id;
    this.socket = res.socket as Socket;
    // After writeHead: Node has decided on chunking, and its head goes out with the first write.
    this.direct = res.chunkedEncoding && this.socket !== null;
  }

  push(entry: LogEntry): void {
    if (entry.seq <= this.lastSeq) return;
    this.lastSeq = entry.seq;
    this.server.writeEntry(this, entry);
  }
}

/**
 * The SSE reference server: `GET /events` answers with a stream that never ends. It registers each
 * stream with the hub before reading the backlog, so nothing appended in between is lost, and
 * lastSeq per stream makes sure nothing is written twice.
 */
export class SseServer implements ModelServer {
  private host: ServerHost | undefined;
  private readonly options: { retryMs: number; echo: boolean };
  private readonly streams = new Set<SseStream>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /**
   * Heartbeat echo (the `echo` option) only: the streams by the id their hello named, for
   * `POST /events/alive`, and the sweeper that ends the ones whose client stopped echoing.
   */
  private readonly byId = new Map<number, SseStream>();
  private sweeper: HeartbeatSweeper<SseStream> | undefined;
  /**
   * Ids start at this process's monotonic clock (µs), not at 1: after a restart fault a client's
   * echo for a stream of the old server must not name a stream of another client on the new one.
   * One stream per µs would be needed to catch up with the next server's start; integers stay safe.
   */
  private nextStreamId = nowUs();
  private closing = false;
  // A broadcast pushes the same entry to every stream: build its chunk once.
  private readonly chunks = new FrameCache((e) => httpChunk(messageFrame(e)));
  /** Every stream of one publish tick gets its chunks in one writev. */
  private readonly batch = new CorkBatch<SseStream>();
  /** The slow-reader limit (ServerSettings.slowReaderQueueBytes), set at attach. */
  private queueBytes = Infinity;
  private readonly onSocketError = (): void => this.host?.count('sseWriteErrors');

  /** `retryMs`: the `retry:` each stream announces; `echo`: clients must echo heartbeats (see attachEcho). */
  constructor(options: { retryMs: number; echo: boolean }) {
    this.options = options;
  }

  attach(host: ServerHost): void {
    this.host = host;
    this.queueBytes = slowReaderQueueBytesOf(host.settings);
    this.batch.limitQueue({ queueBytes: this.queueBytes, cut: (s) => this.cutSlow(s) });
    host.route('GET', '/events', (req, res, url) => this.open(req, res, url));
    if (this.options.echo) return this.attachEcho(host);
    const intervalMs = host.settings.heartbeat.intervalMs;
    if (intervalMs > 0 && Number.isFinite(intervalMs)) {
      // One timer for every stream: a timer per connection would cost memory and wakeups per client.
      this.heartbeatTimer = setInterval(() => this.heartbeat(), intervalMs);
      this.heartbeatTimer.unref();
    }
  }

  /**
   * Heartbeat echo: the client answers every heartbeat comment of stream K with
   * `POST /events/alive?stream=K` (no body) → 204, no body; 404 CB_ERR_UNKNOWN_STREAM for a stream
   * that is not open (never was, or already ended); 400 CB_ERR_BAD_STREAM for a missing or
   * malformed K. A stream unanswered for heartbeat.timeoutMs since its oldest unanswered heartbeat
   * is ended and counted as a dead peer (host.deadPeer). Data the server writes proves nothing
   * about the client, so only the echo counts. Contract: frames.ts helloFrame.
   */
  private attachEcho(host: ServerHost): void {
    host.route('POST', ALIVE_PATH, (req, res, url) => this.alive(req, res, url));
    this.sweeper = new HeartbeatSweeper<SseStream>(
      host.settings.heartbeat,
      (s) => this.writeHeartbeat(s),
      (s) => {
        host.deadPeer();
        this.drop(s);
        s.res.destroy();
      },
      (pings) => host.count('heartbeatBytes', pings * HEARTBEAT_FRAME_BYTES),
    );
    this.sweeper.start();
  }

  /** Writes one entry; never throws, because it runs inside the hub's fan-out. */
  writeEntry(stream: SseStream, entry: LogEntry): void {
    if (stream.direct) this.writeChunk(stream, this.chunks.of(entry));
    else this.writeFramed(stream, messageFrame(entry));
  }

  /** A frame for a stream Node frames itself, under the slow-reader rule its corked writes go by. */
  private writeFramed(stream: SseStream, text: string): void {
    const verdict = queueVerdict(stream, stream.res.writableLength, this.queueBytes);
    if (verdict === 'slow') return this.cutSlow(stream);
    if (verdict === 'caught-up') stream.queueAllowanceBytes = Buffer.byteLength(text);
    this.write(stream, text);
  }

  /** A reader too far behind (src/models/push/slowReader.ts): counted, and cut with a reset. */
  private cutSlow(stream: SseStream): void {
    this.host?.count('slowReaderCuts');
    this.drop(stream);
    cutNow(stream.res.socket);
    stream.res.destroy();
  }

  /** Writes a pre-chunked frame straight to the stream's socket, corked with the rest of this tick. */
  private writeChunk(stream: SseStream, chunk: Buffer): void {
    const res = stream.res;
    if (res.destroyed || res.writableEnded || stream.socket.destroyed) return;
    this.batch.write(stream, chunk);
  }

  /** Writes text through the response (the head and first frames, or any frame of a stream Node frames itself); never throws. */
  write(stream: SseStream, text: string): void {
    const res = stream.res;
    if (res.destroyed || res.writableEnded) return;
    try {
      res.write(text);
    } catch {
      this.host?.count('sseWriteErrors');
      this.drop(stream);
      res.destroy();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.sweeper?.stop();
    const open = [...this.streams];
    const ended = open.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.res.closed) return resolve();
          s.res.once('close', () => resolve());
          s.res.end();
        }),
    );
    let grace: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      grace = setTimeout(resolve, CLOSE_GRACE_MS);
    });
    await Promise.race([Promise.all(ended), timedOut]);
    clearTimeout(grace);
    // A peer that stopped reading keeps its stream from finishing: cut it.
    for (const s of open) if (!s.res.closed) s.res.destroy();
    for (const s of open) this.drop(s);
    this.chunks.clear();
  }

  private open(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const host = this.host!;
    try {
      if (this.closing) return respond(res, 503, { error: 'CB_ERR_SHUTTING_DOWN', message: 'the server is closing' });
      // Pipelined behind another response on its connection: a stream there could never be sent,
      // and would hold every broadcast until the connection ends. Refused, so it holds nothing.
      if (!res.socket) {
        host.count('pipelinedRequests');
        return respond(res, 429, {
          error: 'CB_ERR_PIPELINED',
          message: 'GET /events must be the only request in flight on its connection',
        });
      }
      const requested = requestedCursor(req, url);
      if ('invalid' in requested) {
        host.count('badRequests');
        return respond(res, 400, {
          error: 'CB_ERR_BAD_CURSOR',
          message: `cursor must be a non-negative integer, got "${requested.invalid}"`,
        });
      }
      const log = host.log;
      // A cursor beyond the head is from a previous server life: resume from the head.
      const start = requested.cursor === null ? log.head : Math.min(requested.cursor, log.head);
      const user = parseUser(url.searchParams.get('user'));
      res.writeHead(200, STREAM_HEADERS);
      const id = this.sweeper ? this.nextStreamId++ : undefined;
      const stream = new SseStream(this, res, user, start, id);
      const socket = res.socket;
      applyTcpKeepAlive(socket, host.settings.tcpKeepAliveMs);
      socket?.on('error', this.onSocketError);
      // 'close' comes once: `on` spares the wrapper `once` would add to every stream.
      res.on('close', () => {
        this.drop(stream);
        socket?.off('error', this.onSocketError);
      });
      host.hub.add(stream);
      this.streams.add(stream);
      if (id !== undefined) {
        this.byId.set(id, stream);
        this.sweeper!.add(stream);
      }
      const backlog = log.readAfter(start, user);
      // Headers, retry, hello and the backlog leave in one write: the headers flush with it.
      let text = helloFrame(start, this.options.retryMs, id);
      if (backlog.gap) text += gapFrame(backlog.gap);
      if (backlog.entries.length > 0) text += backlog.entries.map(messageFrame).join('');
      stream.lastSeq = Math.max(stream.lastSeq, backlog.cursor);
      this.write(stream, text);
      // The hello and backlog are the stream's first turn: what of them is still unsent is its allowance.
      stream.queueAllowanceBytes = stream.res.writableLength;
    } catch (err) {
      // Never throw into the host: a half-written stream is cut, an unwritten one gets a 500.
      host.count('handlerErrors');
      if (!res.headersSent) respond(res, 500, { error: 'CB_ERR_INTERNAL', message: String((err as Error)?.message ?? err) });
      else res.destroy();
    }
  }

  /** Every stream's heartbeat, by the interval timer (heartbeat echo off). */
  private heartbeat(): void {
    for (const s of this.streams) this.writeHeartbeat(s);
    this.host?.count('heartbeatBytes', HEARTBEAT_FRAME_BYTES * this.streams.size);
  }

  private writeHeartbeat(s: SseStream): void {
    if (s.direct) this.writeChunk(s, HEARTBEAT_CHUNK);
    else this.writeFramed(s, HEARTBEAT_FRAME);
  }

  /** `POST /events/alive?stream=K`: stream K's client echoed a heartbeat (see attachEcho). */
  private alive(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const host = this.host!;
    // The echo has no body; one sent anyway is discarded rather than left to stall the connection.
    req.resume();
    const raw = url.searchParams.get('stream');
    const id = raw === null ? NaN : Number(raw);
    if (raw === null || !UNSIGNED.test(raw) || !Number.isSafeInteger(id)) {
      host.count('badRequests');
      return respond(res, 400, {
        error: 'CB_ERR_BAD_STREAM',
        message: `stream must be a non-negative integer, got ${raw === null ? 'none' : `"${raw}"`}`,
      });
    }
    const stream = this.byId.get(id);
    if (!stream) {
      host.count('sseUnknownStreams');
      return respond(res, 404, {
        error: 'CB_ERR_UNKNOWN_STREAM',
        message: `no open event stream ${id}: it ended (or never was); open a new one with GET /events`,
      });
    }
    stream.awaitingPongSinceMs = undefined;
    res.writeHead(204);
    res.end();
  }

  private drop(stream: SseStream): void {
    if (!this.streams.delete(stream)) return;
    this.host?.hub.remove(stream);
    if (stream.id !== undefined) {
      this.byId.delete(stream.id);
      this.sweeper?.delete(stream);
    }
  }
}
