import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Turns on TCP keep-alive with its first probe after `idleMs` (the optional `tcpKeepAliveMs` of
 * client options and server settings); nothing when unset. Linux counts this in whole seconds, so
 * anything below 1 s is 1 s. Keep-alive probes carry no payload: a layer-7 intermediary never sees
 * them, which is what the heartbeat lab shows by turning them on.
 */
export function applyTcpKeepAlive(socket: Socket | Duplex | null | undefined, idleMs: number | undefined): void {
  if (idleMs === undefined || !(idleMs > 0) || !socket) return;
  (socket as Socket).setKeepAlive?.(true, Math.max(1000, idleMs));
}
