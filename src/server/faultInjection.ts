import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { chosen } from '../util/chosen.js';

/** Drop fault: resets (RST) every k-th open connection, an exact `fraction` of them, as a crashed middlebox would. */
export function resetFractionOf(connections: Iterable<Socket | Duplex>, fraction: number): { reset: number; open: number } {
  const open = [...connections].filter((s) => !s.destroyed);
  let reset = 0;
  open.forEach((s, i) => {
    if (!chosen(i, fraction)) return;
    reset++;
    // resetAndDestroy throws on anything but a TCP socket; such a connection is closed instead.
    try {
      (s as Socket).resetAndDestroy();
    } catch {
      s.destroy();
    }
  });
  return { reset, open: open.length };
}
