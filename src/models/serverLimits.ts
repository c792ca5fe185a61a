import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServerSettings } from './types.js';

/**
 * What the reference server holds for one connection, at most, and for how long (README, "What
 * the server holds for one connection"): settings with defaults a real deployment would use.
 */

/**
 * Bytes a push connection may have queued unsent, beyond what the server wrote to it in one go
 * (a resume's backlog, a burst): past it the reader is cut as too slow (`slowReaderCuts`).
 */
export const DEFAULT_SLOW_READER_QUEUE_BYTES = 1024 * 1024;

/**
 * A request (headers and body) or a tcp frame must arrive in full within this long of its first
 * byte, however steadily its bytes trickle in: past it the connection is cut.
 */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

export const slowReaderQueueBytesOf = (s: ServerSettings): number => s.slowReaderQueueBytes ?? DEFAULT_SLOW_READER_QUEUE_BYTES;
export const stallTimeoutMsOf = (s: ServerSettings): number => s.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;

/**
 * Cuts a connection at once, with a reset where the socket can send one: a slow reader's queued
 * bytes are worth nothing, and a reset frees the kernel's buffers too instead of leaving them to
 * drain into a peer that does not read.
 */
export function cutNow(socket: Socket | Duplex | null | undefined): void {
  if (!socket || socket.destroyed) return;
  try {
    (socket as Socket).resetAndDestroy();
  } catch {
    // Not a TCP socket (a test's stream): an ordinary close.
    socket.destroy();
  }
}
