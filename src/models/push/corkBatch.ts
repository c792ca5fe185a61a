import type { Writable } from 'node:stream';
import { queueVerdict, type QueueLimit, type QueueWatched } from './slowReader.js';

/** A connection whose socket a CorkBatch writes to; the flags save a lookup per write. */
export interface Corkable extends QueueWatched {
  readonly socket: Writable;
  /** Set while the socket is corked in the current batch; only the CorkBatch touches it. */
  corked: boolean;
  /** Set while this turn's writes count towards the allowance (the turn found it caught up). */
  caughtUp: boolean;
}

/**
 * Writes of one event-loop turn, corked per socket and flushed together: the first write to a
 * socket in a turn corks it, one process.nextTick uncorks every socket written to. A broadcast
 * tick (one message or a burst of them to thousands of subscribers) then costs one writev per
 * socket instead of one write syscall per socket per message. Writes made directly to a socket
 * while it is corked (a library's ping, a handshake) join the same buffer, in call order.
 *
 * With a queue limit, the first write of a turn also applies the slow-reader rule
 * (src/models/push/slowReader.ts) to what the previous turns left unsent: a reader too far
 * behind is cut instead of written to.
 */
export class CorkBatch<C extends Corkable> {
  private pending: C[] = [];
  private limit: QueueLimit<C> | undefined;

  /** From now on, cut readers that fall behind by more than `limit.queueBytes`. */
  limitQueue(limit: QueueLimit<C>): void {
    this.limit = limit;
  }

  write(conn: C, data: Buffer): void {
    if (!conn.corked) {
      if (conn.socket.destroyed) return;
      if (this.limit && !this.startTurn(conn, this.limit)) return;
      conn.corked = true;
      conn.socket.cork();
      if (this.pending.push(conn) === 1) process.nextTick(flush, this);
    }
    if (conn.caughtUp) conn.queueAllowanceBytes += data.length;
    conn.socket.write(data);
  }

  /** Uncorks every socket of this turn; also called by nextTick. */
  flush(): void {
    const conns = this.pending;
    this.pending = [];
    for (let i = 0; i < conns.length; i++) {
      const c = conns[i]!;
      c.corked = false;
      c.caughtUp = false;
      c.socket.uncork();
    }
  }

  /** The slow-reader rule at a turn's first write: false when the reader was cut. */
  private startTurn(conn: C, limit: QueueLimit<C>): boolean {
    const verdict = queueVerdict(conn, conn.socket.writableLength, limit.queueBytes);
    if (verdict === 'slow') {
      limit.cut(conn);
      return false;
    }
    if (verdict === 'caught-up') {
      conn.caughtUp = true;
      conn.queueAllowanceBytes = 0;
    }
    return true;
  }
}

function flush(batch: CorkBatch<Corkable>): void {
  batch.flush();
}
