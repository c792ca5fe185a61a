/**
 * The server's side of scenario faults (src/runner/faults.ts schedules them): resetting a fraction
 * of the open connections (drop), and handing a replacement process everything it needs to carry
 * on (restart): the message log, the publisher's place in its schedule, and running totals, so
 * cursors stay valid and the runner's samples stay cumulative across processes.
 */
import type net from 'node:net';
import type { Socket } from 'node:net';
import { chosen } from '../proxy/options.js';
import type { ServerHandover, WireBytes } from '../runner/ipc.js';

/** Open sockets in accept order, kept only when a scenario drops connections (a Set entry each). */
export class OpenSockets {
  private readonly sockets = new Set<Socket>();

  constructor(servers: net.Server[]) {
    for (const server of servers)
      server.on('connection', (s: Socket) => {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
      });
  }

  /** Resets (RST) every k-th open socket, an exact `fraction` of them, as a crashed middlebox would. */
  resetFraction(fraction: number): { reset: number; open: number } {
    const open = [...this.sockets].filter((s) => !s.destroyed);
    let reset = 0;
    open.forEach((s, i) => {
      if (!chosen(i, fraction)) return;
      reset++;
      try {
        s.resetAndDestroy();
      } catch {
        s.destroy();
      }
    });
    return { reset, open: open.length };
  }
}

export type Carry = ServerHandover['carry'];

export const NO_CARRY: Carry = { cpuUserUs: 0, cpuSystemUs: 0, wireBytes: { sentBytes: 0, receivedBytes: 0, httpRequests: 0 }, counters: {}, peakRssBytes: 0, acceptedBySourceAddress: {} };

export function addWire(a: WireBytes, b: WireBytes): WireBytes {
  return { sentBytes: a.sentBytes + b.sentBytes, receivedBytes: a.receivedBytes + b.receivedBytes, httpRequests: a.httpRequests + b.httpRequests };
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
export function continuedSchedule(p: NonNullable<ServerHandover['publisher']>): Omit<NonNullable<ServerHandover['publisher']>, 'nextIndex'> {
  const { nextIndex, ...schedule } = p;
  return { ...schedule, t0Us: p.t0Us + (nextIndex * 1e6) / p.ratePerSec };
}
