/**
 * Monotonic microseconds (CLOCK_MONOTONIC), shared by every process on one host, so a timestamp
 * stamped in the server process can be subtracted from one taken in a client worker.
 */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
