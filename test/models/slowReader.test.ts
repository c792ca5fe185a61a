import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { queueVerdict } from '../../src/models/push/slowReader.js';
import { CorkBatch, type Corkable } from '../../src/models/push/corkBatch.js';

/** A socket whose peer reads only when told: what it is written stays queued (its writableLength) until read(). */
class PeerSocket extends Writable {
  private waiting: (() => void) | undefined;
  constructor() {
    super({ highWaterMark: 1 });
  }
  override _writev(_chunks: unknown[], cb: () => void): void {
    this.waiting = cb;
  }
  override _write(_chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.waiting = cb;
  }
  /** The peer takes everything queued so far. */
  read(): void {
    while (this.waiting) {
      const cb = this.waiting;
      this.waiting = undefined;
      cb();
    }
  }
}

const nextTurn = () => new Promise((r) => setImmediate(r));
const conn = (): Corkable & { socket: PeerSocket } => ({
  socket: new PeerSocket(),
  corked: false,
  caughtUp: false,
  queueAllowanceBytes: 0,
});
const KiB = 1024;

describe('queueVerdict', () => {
  it('caught up at or under the limit; behind within the allowance; slow past both', () => {
    expect(queueVerdict({ queueAllowanceBytes: 0 }, 64 * KiB, 64 * KiB)).toBe('caught-up');
    expect(queueVerdict({ queueAllowanceBytes: 10 * KiB }, 74 * KiB, 64 * KiB)).toBe('behind');
    expect(queueVerdict({ queueAllowanceBytes: 10 * KiB }, 74 * KiB + 1, 64 * KiB)).toBe('slow');
    expect(queueVerdict({ queueAllowanceBytes: 0 }, 64 * KiB + 1, 64 * KiB)).toBe('slow');
  });
});

describe('CorkBatch with a queue limit', () => {
  it('cuts a reader that never reads once its queue passes the limit by more than one turn’s writes, once', async () => {
    const batch = new CorkBatch<ReturnType<typeof conn>>();
    const cuts: number[] = [];
    const c = conn();
    batch.limitQueue({
      queueBytes: 8 * KiB,
      cut: (x) => {
        cuts.push(x.socket.writableLength);
        x.socket.destroy();
      },
    });
    // 1 KiB a turn, never read: bounded at 30 turns.
    for (let turn = 0; turn < 30 && cuts.length === 0; turn++) {
      batch.write(c, Buffer.alloc(KiB));
      await nextTurn();
    }
    expect(cuts).toHaveLength(1);
    // The turn that found it caught up last wrote 1 KiB: cut at the first turn past 8 + 1 KiB.
    expect(cuts[0]).toBe(10 * KiB);
    // A cut socket is written to no more, and not cut again.
    batch.write(c, Buffer.alloc(KiB));
    expect(cuts).toHaveLength(1);
  });

  it('lets one turn write more than the limit (a backlog, a burst), and the reader take its time over it while it reads', async () => {
    const batch = new CorkBatch<ReturnType<typeof conn>>();
    let cuts = 0;
    const c = conn();
    batch.limitQueue({ queueBytes: 8 * KiB, cut: () => cuts++ });
    for (let i = 0; i < 64; i++) batch.write(c, Buffer.alloc(KiB));
    await nextTurn();
    expect(c.socket.writableLength).toBe(64 * KiB);
    // Behind, but by less than the limit beyond what that turn wrote: live writes go on.
    for (let turn = 0; turn < 4; turn++) {
      batch.write(c, Buffer.alloc(KiB));
      await nextTurn();
    }
    expect(cuts).toBe(0);
    // It reads, catches up, and the next turn's allowance is that turn's writes only.
    c.socket.read();
    await nextTurn();
    expect(c.socket.writableLength).toBe(0);
    batch.write(c, Buffer.alloc(KiB));
    await nextTurn();
    expect(c.queueAllowanceBytes).toBe(KiB);
    expect(cuts).toBe(0);
  });

  it('without a limit, never cuts', async () => {
    const batch = new CorkBatch<ReturnType<typeof conn>>();
    const c = conn();
    for (let turn = 0; turn < 20; turn++) {
      batch.write(c, Buffer.alloc(16 * KiB));
      await nextTurn();
    }
    expect(c.socket.writableLength).toBe(20 * 16 * KiB);
  });
});
