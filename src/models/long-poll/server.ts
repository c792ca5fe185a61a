import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { LogEntry, ReadResult } from '../log.js';
import type { ModelServer, ServerHost, Subscriber } from '../types.js';
import { respond } from '../http/respond.js';
import { applyTcpKeepAlive } from '../keepAlive.js';
import { encodePollBody } from './pollBody.js';
import { PollDeadlines } from './pollDeadlines.js';
import { sweepTickMs } from '../push/heartbeat.js';
import { parseUser } from '../push/subscription.js';
import { cutNow, slowReaderQueueBytesOf } from '../serverLimits.js';

/**
 * The longest a poll is held unless a longer hold is configured: the cap guards the server against
 * a `wait` of hours; no client of a run asks for more than its scenario's hold.
 */
export const DEFAULT_MAX_HOLD_MS = 60_000;

/**
 * The longest pause between polls (`every`) the server believes: a connection that announces a
 * longer one is held to this, so a silent peer cannot buy a deadline of years. A scenario's poll
 * interval is at most this (src/models/short-poll/index.ts).
 */
export const DEFAULT_MAX_EVERY_MS = 3_600_000;

/**
 * `GET /poll?cursor=N&wait=MS&every=MS&user=U`, shared by short and long polling: `wait` absent or
 * 0 answers at once, `wait` > 0 holds the request until something arrives for the user or the
 * hold (capped by the server's maxHoldMs) ends with an empty answer, long polling's heartbeat.
 *
 * Dead peers: after each answer the connection must bring its next poll within `every` (the pause
 * the client announces; absent = 0, ask again at once) + the heartbeat timeout, or it is counted
 * as a dead peer and destroyed. Without this a half-open connection (a middlebox that stopped
 * forwarding, no FIN, no RST) would stay open on the server forever.
 */
export class PollServer implements ModelServer {
  /** The longest this server holds a poll, whatever `wait` a client asks for. */
  private readonly maxHoldMs: number;
  /** The longest pause between polls it believes, whatever `every` a client announces. */
  private readonly maxEveryMs: number;
  /** The slow-reader limit (ServerSettings.slowReaderQueueBytes), set at attach. */
  private queueBytes = Infinity;
  /**
   * Answer bytes written to responses pipelined behind another on the same connection: Node
   * keeps them until their turn, out of the socket's writableLength, so they are counted here.
   */
  private readonly pipelinedBytes = new WeakMap<Socket, number>();
  private readonly held = new Set<HeldPoll>();
  /** Absent when the heartbeat timeout is off (0 or infinite): nothing is tracked then. */
  private deadlines: PollDeadlines<Socket> | undefined;
  private timeoutMs = 0;
  /** Every polling socket's one 'close' listener: shared, with the socket as `this`, not a closure each. */
  private onSocketClose: ((this: Socket) => void) | undefined;

  /** `maxHoldMs`: the cap on any `wait` a client asks for (default a minute); `maxEveryMs` on any `every` (an hour). */
  constructor(options: { maxHoldMs?: number; maxEveryMs?: number } = {}) {
    this.maxHoldMs = options.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
    this.maxEveryMs = options.maxEveryMs ?? DEFAULT_MAX_EVERY_MS;
  }

  attach(host: ServerHost): void {
    this.queueBytes = slowReaderQueueBytesOf(host.settings);
    host.route('GET', '/poll', (req, res, url) => this.onPoll(host, req.socket, res, url));
    const { timeoutMs } = host.settings.heartbeat;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) return;
    const deadlines = new PollDeadlines<Socket>(
      (socket) => {
        host.deadPeer();
        socket.destroy();
      },
      // The deadline starts when an answer is queued; a large one a slow reader is still taking is no silence.
      { busy: (socket) => socket.writableLength > 0, busyGraceMs: timeoutMs },
    );
    this.onSocketClose = function (this: Socket) {
      deadlines.closed(this);
    };
    this.timeoutMs = timeoutMs;
    this.deadlines = deadlines;
    deadlines.start(sweepTickMs(timeoutMs));
  }

  async close(): Promise<void> {
    // No deadline outlives the server, and the last answers below arm none.
    this.deadlines?.stop();
    this.deadlines = undefined;
    // Answer rather than cut: a client sees a clean heartbeat, and no timer outlives the server.
    // Wait for the answers to leave, so a host that destroys its sockets next does not cut them.
    const polls = [...this.held];
    this.held.clear();
    await Promise.all(polls.map((poll) => poll.answerAndFlush(CLOSE_FLUSH_MS)));
  }

  /** @internal a held poll let go (answered, or its client went away). */
  released(poll: HeldPoll): void {
    this.held.delete(poll);
  }

  /** @internal an answer left on `socket`: the next poll is due within `everyMs` + the timeout. */
  answered(socket: Socket | null, everyMs: number): void {
    if (socket) this.deadlines?.answered(socket, everyMs + this.timeoutMs);
  }

  /**
   * Writes a poll answer, unless the connection already holds more unread answers than the
   * slow-reader limit (a client that pipelines polls and never reads): then it is cut, counted.
   */
  answer(conn: Socket, res: ServerResponse, r: Pick<ReadResult, 'entries' | 'cursor' | 'gap'>, host: ServerHost, heartbeat: boolean): void {
    if (res.writableEnded || res.destroyed || conn.destroyed) return;
    if (conn.writableLength + (this.pipelinedBytes.get(conn) ?? 0) > this.queueBytes) {
      host.count('slowReaderCuts');
      return cutNow(conn);
    }
    const bytes = writeAnswer(res, r, heartbeat ? host : undefined);
    if (res.socket || bytes === 0) return;
    this.pipelinedBytes.set(conn, (this.pipelinedBytes.get(conn) ?? 0) + bytes);
    res.once('finish', () => this.pipelinedBytes.set(conn, (this.pipelinedBytes.get(conn) ?? bytes) - bytes));
  }

  private onPoll(host: ServerHost, conn: Socket, res: ServerResponse, url: URL): void {
    host.count('pollRequests');
    const socket = res.socket;
    // A request in hand: the server is the one the client waits for now.
    if (socket && this.deadlines?.arrived(socket)) socket.on('close', this.onSocketClose!);
    applyTcpKeepAlive(socket, host.settings.tcpKeepAliveMs);
    const q = parsePollQuery(url.searchParams);
    if ('error' in q) {
      host.count('badRequests');
      // No deadline after a refusal: the client has left its poll loop and asks again (if at all)
      // after its reconnect backoff, which is no sign of a dead peer.
      return respond(res, 400, q);
    }
    const everyMs = Math.min(q.everyMs, this.maxEveryMs);
    // No cursor: a subscribe. The head is the client's starting cursor.
    if (q.cursor === undefined) {
      this.answer(conn, res, { entries: [], cursor: host.log.head }, host, false);
      return this.answered(socket, everyMs);
    }
    // Pipelined behind another response on its connection, it is answered now, never held: one
    // connection holds at most one poll, however many it sends without reading.
    if (!socket && q.waitMs > 0) host.count('pipelinedPolls');
    const now = host.log.readAfter(q.cursor, q.user);
    if (q.waitMs === 0 || !socket || now.entries.length > 0 || now.gap) {
      this.answer(conn, res, now, host, true);
      return this.answered(socket, everyMs);
    }
    host.count('heldPolls');
    const poll = new HeldPoll(host, conn, res, q.cursor, q.user, everyMs, this);
    this.held.add(poll);
    poll.hold(Math.min(q.waitMs, this.maxHoldMs));
  }
}

/** How long close() waits for held polls' last answers to be written. */
const CLOSE_FLUSH_MS = 1000;

/** A long poll waiting for data: a one-shot hub subscriber with a hold timer. */
class HeldPoll implements Subscriber {
  readonly user: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pushed = false;
  private settled = false;

  constructor(
    private readonly host: ServerHost,
    private readonly conn: Socket,
    private readonly res: ServerResponse,
    private readonly cursor: number,
    user: string | undefined,
    private readonly everyMs: number,
    private readonly server: PollServer,
  ) {
    this.user = user;
  }

  hold(holdMs: number): void {
    this.host.hub.add(this);
    this.timer = setTimeout(() => this.answer(), holdMs);
    // The client went away (aborted, reset, timed out): nothing to answer, just let go.
    this.res.on('close', () => this.settle());
  }

  push(_entry: LogEntry): void {
    if (this.pushed || this.settled) return;
    this.pushed = true;
    this.host.hub.remove(this);
    // Answer after the publisher's synchronous burst, so one answer carries all of it.
    queueMicrotask(() => this.answer());
  }

  /** Answers with whatever the log holds for this client now (empty on a hold timeout). */
  answer(): void {
    if (!this.settle()) return;
    try {
      // Taken before writing: the response lets go of its socket once it has finished.
      const socket = this.res.socket;
      this.server.answer(this.conn, this.res, this.host.log.readAfter(this.cursor, this.user), this.host, true);
      this.server.answered(socket, this.everyMs);
    } catch {
      // Runs from a timer or microtask, where a throw would take the server down.
      this.host.count('handlerErrors');
      this.res.destroy();
    }
  }

  /** Answers, then resolves when the response is gone (or after flushMs, for a peer that stopped reading). */
  answerAndFlush(flushMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, flushMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      if (this.res.writableFinished || this.res.destroyed) return done();
      this.res.once('close', done);
      this.answer();
    });
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    this.host.hub.remove(this);
    this.server.released(this);
    return true;
  }
}

/**
 * Writes a poll answer and returns its body's bytes. An empty one is polling's heartbeat: its bytes
 * (headers included, read off the socket's counter, which counts queued bytes too) are counted as
 * heartbeat bytes; the subscribe answer passes no counter, as it is not a heartbeat.
 */
function writeAnswer(res: ServerResponse, r: Pick<ReadResult, 'entries' | 'cursor' | 'gap'>, heartbeatCounter?: ServerHost): number {
  const body = encodePollBody(r);
  const empty = r.entries.length === 0 && !r.gap;
  const before = empty ? (res.socket?.bytesWritten ?? 0) : 0;
  const bytes = Buffer.byteLength(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes });
  res.end(body);
  if (empty && res.socket) heartbeatCounter?.count('heartbeatBytes', res.socket.bytesWritten - before);
  return bytes;
}

interface PollQuery {
  /** undefined = no cursor: subscribe "from now". */
  cursor: number | undefined;
  waitMs: number;
  /** The client's pause between an answer and its next poll (short polling's interval); 0 = none. */
  everyMs: number;
  user: string | undefined;
}

interface QueryError {
  error: 'CB_ERR_BAD_CURSOR';
  message: string;
}

/** Reads `cursor`, `wait`, `every` and `user`; a cursor, wait or every that is not a non-negative integer is an error. */
function parsePollQuery(params: URLSearchParams): PollQuery | QueryError {
  const cursorText = params.get('cursor');
  const waitText = params.get('wait');
  const everyText = params.get('every');
  const cursor = cursorText === null ? undefined : nonNegativeInt(cursorText);
  if (cursor === null)
    return { error: 'CB_ERR_BAD_CURSOR', message: `cursor must be a non-negative integer (the last seq seen), got "${cursorText}"` };
  const waitMs = waitText === null ? 0 : nonNegativeInt(waitText);
  if (waitMs === null)
    return { error: 'CB_ERR_BAD_CURSOR', message: `wait must be a non-negative integer of milliseconds, got "${waitText}"` };
  const everyMs = everyText === null ? 0 : nonNegativeInt(everyText);
  if (everyMs === null)
    return {
      error: 'CB_ERR_BAD_CURSOR',
      message: `every must be a non-negative integer of milliseconds (the pause between polls), got "${everyText}"`,
    };
  const user = parseUser(params.get('user'));
  return { cursor, waitMs, everyMs, user };
}

function nonNegativeInt(text: string): number | null {
  // Digits only: rejects '-1', '1.5', '1e3', ' 1' and '' that Number() would partly accept.
  if (!/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}
