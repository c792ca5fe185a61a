import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * When a chunk that arrives at `nowMs` may leave: after the latency plus its jitter, and never
 * before the chunk ahead of it (a TCP stream does not reorder). Pure.
 */
export function departureMs(nowMs: number, previousMs: number, latencyMs: number, jitterMs: number, random: number): number {
  return Math.max(previousMs, nowMs + latencyMs + jitterMs * random);
}

/** Source reading stops while this many bytes wait in a delay line, and resumes once they are out. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

type Item = { atMs: number; chunk: Buffer | null };

/**
 * One direction of a proxied connection: writes chunks to `to`, at once or after a delay. One timer
 * per direction for the head of its queue, not one per chunk, so order never depends on timer
 * bookkeeping. A null chunk is the end of the stream (FIN), delayed like the data before it.
 */
export class DelayLine {
  private readonly queue: Item[] = [];
  private queuedBytes = 0;
  private lastDepartureMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private pausedForQueue = false;
  private waitingForDrain = false;
  private readonly from: Socket;
  private readonly to: Socket;
  private latencyMs: number;
  private jitterMs: number;
  private readonly random: () => number;

  constructor(from: Socket, to: Socket, latencyMs: number, jitterMs: number, random: () => number) {
    this.from = from;
    this.to = to;
    this.latencyMs = latencyMs;
    this.jitterMs = jitterMs;
    this.random = random;
  }

  /** A chunk of payload, or null for the end of the stream. */
  push(chunk: Buffer | null): void {
    if (this.latencyMs === 0 && this.jitterMs === 0 && this.queue.length === 0) return this.write(chunk);
    const nowMs = performance.now();
    const atMs = departureMs(nowMs, this.lastDepartureMs, this.latencyMs, this.jitterMs, this.random());
    this.lastDepartureMs = atMs;
    this.queue.push({ atMs, chunk });
    this.queuedBytes += chunk?.length ?? 0;
    if (this.queuedBytes > HIGH_WATER_BYTES && !this.pausedForQueue) {
      this.pausedForQueue = true;
      this.from.pause();
    }
    if (!this.timer) this.arm(nowMs);
  }

  /** New delays for chunks from now on; queued ones keep theirs, and order is kept either way. */
  setDelay(latencyMs: number, jitterMs: number): void {
    this.latencyMs = latencyMs;
    this.jitterMs = jitterMs;
  }

  /** Forgets what is queued: the connection was cut, nothing more goes through. */
  drop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private arm(nowMs: number): void {
    const head = this.queue[0];
    if (!head) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, head.atMs - nowMs));
  }

  private flush(): void {
    this.timer = undefined;
    const nowMs = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.atMs <= nowMs) {
      const item = this.queue.shift()!;
      this.queuedBytes -= item.chunk?.length ?? 0;
      this.write(item.chunk);
    }
    if (this.pausedForQueue && this.queuedBytes <= HIGH_WATER_BYTES / 2) {
      this.pausedForQueue = false;
      if (!this.waitingForDrain) this.from.resume();
    }
    this.arm(nowMs);
  }

  private write(chunk: Buffer | null): void {
    if (this.to.destroyed || this.to.writableEnded) return;
    if (chunk === null) return void this.to.end();
    if (this.to.write(chunk) || this.waitingForDrain) return;
    // The receiver is slower than the sender: stop reading until it catches up, as TCP would.
    this.waitingForDrain = true;
    this.from.pause();
    this.to.once('drain', () => {
      this.waitingForDrain = false;
      if (!this.pausedForQueue) this.from.resume();
    });
  }
}
