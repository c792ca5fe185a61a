/**
 * Time for all clients to settle after the ramp, before memory is sampled: a fixed phase of every
 * model run, so a scenario's wall time includes it.
 */
export const SETTLE_MS = 1000;
