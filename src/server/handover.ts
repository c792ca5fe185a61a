/**
 * The server's side of a restart fault (src/runner/faults.ts schedules it): handing a replacement
 * process everything it needs to carry on: the message log, the publisher's place in its schedule,
 * and running totals, so cursors stay valid and the runner's samples stay cumulative across
 * processes. (A drop fault is ReferenceHost.resetFraction, over the sockets the host keeps anyway.)
 */
import type { ServerHandover } from '../ipc/server.js';
import type { WireBytes } from '../ipc/common.js';

export type Carry = ServerHandover['carry'];

export const NO_CARRY: Carry = {
  cpuUserUs: 0,
  cpuSystemUs: 0,
  wireBytes: { sentBytes: 0, receivedBytes: 0, httpRequests: 0 },
  counters: {},
  peakRssBytes: 0,
  acceptedBySourceAddress: {},
};

export function addWire(a: WireBytes, b: WireBytes): WireBytes {
  return {
    sentBytes: a.sentBytes + b.sentBytes,
    receivedBytes: a.receivedBytes + b.receivedBytes,
    httpRequests: a.httpRequests + b.httpRequests,
  };
}

export function addCounters(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** This process's totals plus what earlier processes of the same run handed over. Pure. */
export function carryOn(carry: Carry, own: Carry): Carry {
  return {
    cpuUserUs: carry.cpuUserUs + own.cpuUserUs,
    cpuSystemUs: carry.cpuSystemUs + own.cpuSystemUs,
    wireBytes: addWire(carry.wireBytes, own.wireBytes),
    counters: addCounters(carry.counters, own.counters),
    peakRssBytes: Math.max(carry.peakRssBytes, own.peakRssBytes),
    acceptedBySourceAddress: addCounters(carry.acceptedBySourceAddress, own.acceptedBySourceAddress),
  };
}

/**
 * The schedule of a publisher that continues one which stopped before message `nextIndex`: message
 * k of the new one is message nextIndex + k of the old, stamped with the same scheduled time.
 */
export function continuedSchedule(
  p: NonNullable<ServerHandover['publisher']>,
): Omit<NonNullable<ServerHandover['publisher']>, 'nextIndex'> {
  const { nextIndex, ...schedule } = p;
  return { ...schedule, t0Us: p.t0Us + (nextIndex * 1e6) / p.ratePerSec };
}
