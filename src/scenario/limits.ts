/**
 * The ranges of a scenario's counts: what connbench can carry at all, whatever the machine. The
 * machine's own limits (sockets, ports, memory) are checked when a point is planned
 * (src/runner/plan.ts), and refused there with the arithmetic.
 */

/** Clients per model: more than one machine's ports and memory could ever hold (docs/scale.md ran 50,000). */
export const MAX_CLIENTS = 1_000_000;
/** Messages the server log keeps: ten million messages of 128 B are already a few GiB of log. */
export const MAX_RETENTION = 10_000_000;
/** Messages an idle scenario's burst appends at once. */
export const MAX_BURST = 1_000_000;
/** Server processes per model run; each costs a Node process, and more than the cores only share them. */
export const MAX_SERVER_PROCESSES = 64;
/** Client worker processes per model run. */
export const MAX_WORKERS = 256;
/** Loopback source addresses: 127.0.0.1 to 127.0.0.254. */
export const MAX_SOURCE_ADDRESSES = 254;
