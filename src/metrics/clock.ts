/**
 * Monotonic microseconds (CLOCK_MONOTONIC), shared by every process on one host, so a timestamp
 * stamped in the server process can be subtracted from one taken in a client worker.
 */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * nowUs() with the fraction kept: a clock exchange across hosts is a few tens of microseconds, and
 * rounding each of its three timestamps to whole microseconds would add up to 1 µs of error.
 */
export function nowUsFine(): number {
  return Number(process.hrtime.bigint()) / 1000;
}
