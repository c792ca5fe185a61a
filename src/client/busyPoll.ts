/**
 * Keeps a worker's event loop polling without sleeping: one setImmediate after another, so libuv
 * polls its sockets with a zero timeout and a message is read as soon as the kernel has it, not
 * after the machine wakes an idle core (0.1-0.4 ms on a shared VM, more than the push itself).
 * Other callbacks run between two turns as they always do. It costs the worker a whole core, so it
 * is for latency runs with few clients (scenario `client.busyPoll`).
 */
export class BusyPoll {
  private immediate: NodeJS.Immediate | undefined;
  private untilMs = 0;

  /** Polls until stop() or until `maxMs` have passed, whichever is first: it never outlives a lost stop. */
  start(maxMs: number): void {
    this.stop();
    this.untilMs = Date.now() + maxMs;
    this.immediate = setImmediate(this.turn);
  }

  stop(): void {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  get polling(): boolean {
    return this.immediate !== undefined;
  }

  private readonly turn = (): void => {
    this.immediate = Date.now() < this.untilMs ? setImmediate(this.turn) : undefined;
  };
}
