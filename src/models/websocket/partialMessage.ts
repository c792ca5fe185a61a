import type { WebSocket } from 'ws';

/** The part of ws 8's receiver (lib/receiver.js) that says a frame or message is half-received. */
interface ReceiverState {
  /** The opcode of a fragmented message being assembled; 0 when none. */
  _fragmented: number;
  /** Bytes received and not yet consumed: part of a frame. */
  _bufferedBytes: number;
}

/**
 * Whether ws holds part of a client's message: a frame that has not all arrived, or a fragmented
 * message whose last fragment has not. ws has no event for this (nor a limit on how long it may
 * last), so its receiver's state is read; a receiver without these fields reads as "nothing
 * partial", which leaves the heartbeat's dead-peer check as the only limit, as before.
 */
export function partialMessage(ws: WebSocket): boolean {
  const r = (ws as unknown as { _receiver?: Partial<ReceiverState> })._receiver;
  return (r?._fragmented ?? 0) !== 0 || (r?._bufferedBytes ?? 0) > 0;
}
