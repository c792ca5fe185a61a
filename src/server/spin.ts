import { nowUs } from '../metrics/clock.js';

/**
 * The longest the spin runs without reading the clock. As the instant nears, the chunks shrink to
 * half the time left, so the spin still ends within about a microsecond of it.
 */
export const READ_EVERY_US = 50;

/** Far above any CPU's rate: the bound on the doubling when a chunk takes less than a tick. */
const MAX_LOOPS_PER_US = 100_000;

/** Written by the idle loop so the compiler cannot drop it. */
let sink = 0;

function idle(iterations: number): void {
  for (let i = 0; i < iterations; i++) sink = (sink + i) | 0;
}

/**
 * Spins until `dueUs`, reading the clock at most every READ_EVERY_US. Each read of Node's clock
 * allocates (a BigInt, or an array for process.hrtime()), so a spin that read it in a tight loop
 * would fill the young generation in milliseconds, and the collections that follow stall the
 * publisher it spins for (docs/benchmarks.md, The on-time publisher). Between reads it runs an
 * idle loop sized to half the time left, at most READ_EVERY_US, using the rate the loop ran at
 * between the last two reads. Returns the number of clock reads it made. Bounded by the instant
 * itself: one that is not a finite number returns at once, without a read.
 */
export class Spinner {
  /** Idle-loop iterations per microsecond, learnt from every read: low at first, so it starts by reading often. */
  private loopsPerUs = 1;
  /**
   * Microseconds spent spinning over every until(), from its own first and last clock reads: CPU
   * time, unless the machine took the core away meanwhile. Read without a call of its own, since a
   * CPU-time reading (getrusage) takes about 2.4 µs here and would make every message that late.
   */
  spunUs = 0;
  private readonly clock: () => number;

  constructor(clock: () => number = nowUs) {
    this.clock = clock;
  }

  until(dueUs: number): number {
    if (!Number.isFinite(dueUs)) return 0;
    let reads = 1;
    const startUs = this.clock();
    let t = startUs;
    for (; t < dueUs; reads++) {
      const chunkUs = Math.min(READ_EVERY_US, (dueUs - t) / 2);
      const iterations = Math.max(1, Math.floor(chunkUs * this.loopsPerUs));
      idle(iterations);
      const after = this.clock();
      // Microsecond reads: a chunk shorter than one tick says only that the loop is faster than assumed.
      this.loopsPerUs = after > t ? Math.max(1, iterations / (after - t)) : Math.min(MAX_LOOPS_PER_US, this.loopsPerUs * 2);
      t = after;
    }
    this.spunUs += t - startUs;
    return reads;
  }
}
