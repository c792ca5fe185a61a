import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ModelServer, ServerHost, Subscriber } from '../types.js';
import type { LogEntry } from '../../server/messageLog.js';
import { respond } from '../../server/host.js';
import { applyTcpKeepAlive } from '../keepAlive.js';
import { HEARTBEAT_FRAME, gapFrame, helloFrame, messageFrame } from './frames.js';

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
export function requestedCursor(req: IncomingMessage, url: URL): { cursor: number | null } | { invalid: string } {
  const header = req.headers['last-event-id'];
  // An empty header is "no id yet" (EventSource never sends one, a hand-made client might).
  const raw = typeof header === 'string' && header !== '' ? header : url.searchParams.get('cursor');
  if (raw === null) return { cursor: null };
  const n = Number(raw);
  if (!UNSIGNED.test(raw) || !Number.isSafeInteger(n)) return { invalid: raw };
  return { cursor: n };
}

/** One open event stream. A class, not closures, so thousands of streams share their methods. */
class SseStream implements Subscriber {
  /** The last seq written to this stream: anything at or below it is never written again. */
  lastSeq: number;
  readonly user: string | undefined;
  readonly res: ServerResponse;
  private readonly server: SseServer;

  constructor(server: SseServer, res: ServerResponse, user: string | undefined, lastSeq: number) {
    this.server = server;
    this.res = res;
    this.user = user;
    this.lastSeq = lastSeq;
  }

  push(entry: LogEntry): void {
    if (entry.seq <= this.lastSeq) return;
    this.lastSeq = entry.seq;
    this.server.write(this, this.server.frameOf(entry));
  }
}

/**
 * The SSE reference server: `GET /events` answers with a stream that never ends. It registers each
 * stream with the hub before reading the backlog, so nothing appended in between is lost, and
 * lastSeq per stream makes sure nothing is written twice.
 */
export class SseServer implements ModelServer {
  private host: ServerHost | undefined;
  private readonly streams = new Set<SseStream>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private closing = false;
  // A broadcast pushes the same entry to every stream: build its frame once.
  private lastEntry: LogEntry | undefined;
  private lastFrame = '';
  private readonly onSocketError = (): void => this.host?.count('sseWriteErrors');

  attach(host: ServerHost): void {
    this.host = host;
    host.route('GET', '/events', (req, res, url) => this.open(req, res, url));
    const intervalMs = host.settings.heartbeat.intervalMs;
    if (intervalMs > 0 && Number.isFinite(intervalMs)) {
      // One timer for every stream: a timer per connection would cost memory and wakeups per client.
      this.heartbeatTimer = setInterval(() => this.heartbeat(), intervalMs);
      this.heartbeatTimer.unref();
    }
  }

  /** Open streams (for tests and diagnostics). */
  get size(): number {
    return this.streams.size;
  }

  frameOf(entry: LogEntry): string {
    if (entry !== this.lastEntry) {
      this.lastEntry = entry;
      this.lastFrame = messageFrame(entry);
    }
    return this.lastFrame;
  }

  /** Writes one frame; never throws, because it runs inside the hub's fan-out. */
  write(stream: SseStream, frame: string): void {
    const res = stream.res;
    if (res.destroyed || res.writableEnded) return;
    try {
      res.write(frame);
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
    this.lastEntry = undefined;
  }

  private open(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const host = this.host!;
    try {
      if (this.closing) return respond(res, 503, { error: 'CB_ERR_SHUTTING_DOWN', message: 'the server is closing' });
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
      const user = url.searchParams.get('user') ?? undefined;
      const stream = new SseStream(this, res, user, start);
      res.writeHead(200, STREAM_HEADERS);
      const socket = res.socket;
      applyTcpKeepAlive(socket, host.settings.tcpKeepAliveMs);
      socket?.on('error', this.onSocketError);
      res.once('close', () => {
        this.drop(stream);
        socket?.off('error', this.onSocketError);
      });
      host.hub.add(stream);
      this.streams.add(stream);
      const backlog = log.readAfter(start, user);
      // Headers, retry, hello and the backlog leave in one write: the headers flush with it.
      let text = helloFrame(start, host.settings.sseRetryMs);
      if (backlog.gap) text += gapFrame(backlog.gap);
      if (backlog.entries.length > 0) text += backlog.entries.map(messageFrame).join('');
      stream.lastSeq = Math.max(stream.lastSeq, backlog.cursor);
      this.write(stream, text);
    } catch (err) {
      // Never throw into the host: a half-written stream is cut, an unwritten one gets a 500.
      host.count('handlerErrors');
      if (!res.headersSent) respond(res, 500, { error: 'CB_ERR_INTERNAL', message: String((err as Error)?.message ?? err) });
      else res.destroy();
    }
  }

  private heartbeat(): void {
    for (const s of this.streams) this.write(s, HEARTBEAT_FRAME);
    this.host?.count('heartbeatBytes', Buffer.byteLength(HEARTBEAT_FRAME) * this.streams.size);
  }

  private drop(stream: SseStream): void {
    if (!this.streams.delete(stream)) return;
    this.host?.hub.remove(stream);
  }
}
