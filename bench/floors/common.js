// @ts-check
/**
 * What every floor process shares: the monotonic clock the reference processes use, a forced GC,
 * a resource sample, and the IPC plumbing. Plain Node only; the spinning floors also take the
 * server's Spinner (dist/server/spin.js), so they wait the way the server does.
 */

/** Monotonic microseconds, the same clock as src/metrics/clock.ts. */
export function nowUs() {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * The value at quantile q of ascending values (the floor(q × n)-th); 0 for none.
 * @param {number[]} sorted
 * @param {number} q
 */
export function quantileOf(sorted, q) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
}

/** Twice, as src/metrics/process.ts does: the second collects what the first's finalizers freed. */
export function forceGc() {
  const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
  if (gc) {
    gc();
    gc();
  }
}

/**
 * @param {number} sockets
 * @returns {import('./protocol.js').FloorSample}
 */
export function sample(sockets) {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  return { type: 'sample', rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, cpuUs: cpu.user + cpu.system, sockets };
}

/** @param {unknown} m */
export function send(m) {
  process.send?.(m);
}

/**
 * Runs the handler for every message from the parent, with `reply`, which answers that message
 * (with its id, as src/runner/child.ts matches replies to requests); a throw becomes an error
 * reply, which rejects the parent's wait. The process leaves with its parent.
 * @template T
 * @param {(m: T, reply: (r: object) => void) => unknown} handle
 */
export function serve(handle) {
  process.on('message', (/** @type {T & { id?: number }} */ m) => {
    const reply = (/** @type {object} */ r) => send(m.id === undefined ? r : { ...r, id: m.id });
    Promise.resolve()
      .then(() => handle(m, reply))
      .catch((/** @type {unknown} */ err) =>
        reply({ type: 'error', code: 'CB_ERR_BENCH_FLOOR', message: String(/** @type {Error} */ (err)?.message ?? err) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGINT', () => undefined);
}

/**
 * A frame of exactly `bytes` bytes (at least the prefix and the newline): prefix, padding, newline.
 * @param {string} prefix
 * @param {number} bytes
 */
export function frameOf(prefix, bytes) {
  return `${prefix} ${'x'.repeat(Math.max(0, bytes - prefix.length - 2))}\n`;
}
