import type { Writable } from 'node:stream';

/** A connection whose socket a CorkBatch writes to; the flag saves a lookup per write. */
export interface Corkable {
  readonly socket: Writable;
  /** Set while the socket is corked in the current batch; only the CorkBatch touches it. */
  corked: boolean;
}

/**
 * Writes of one event-loop turn, corked per socket and flushed together: the first write to a
 * socket in a turn corks it, one process.nextTick uncorks every socket written to. A broadcast
 * tick (one message or a burst of them to thousands of subscribers) then costs one writev per
 * socket instead of one write syscall per socket per message. Writes made directly to a socket
 * while it is corked (a library's ping, a handshake) join the same buffer, in call order.
 */
export class CorkBatch<C extends Corkable> {
  private pending: C[] = [];

  write(conn: C, data: Buffer): void {
    if (!conn.corked) {
      conn.corked = true;
      conn.socket.cork();
      if (this.pending.push(conn) === 1) process.nextTick(flush, this);
    }
    conn.socket.write(data);
  }

  /** Uncorks every socket of this turn; also called by nextTick. */
  flush(): void {
    const conns = this.pending;
    this.pending = [];
    for (let i = 0; i < conns.length; i++) {
      const c = conns[i]!;
      c.corked = false;
      c.socket.uncork();
    }
  }
}

function flush(batch: CorkBatch<Corkable>): void {
  batch.flush();
}
