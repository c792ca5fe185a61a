import { CONTROL_TIMEOUT_MS, floorChild } from '../children.js';
import type { FromOneWayReceiver, FromOneWaySender, ToOneWayReceiver, ToOneWaySender } from '../floors/protocol.js';

export interface OneWaySize {
  frames: number;
  intervalUs: number;
  frameBytes: number;
  /** The receiver sleeps in epoll between frames, as any client does, instead of polling (bench/micro/floorSpacing.mjs). */
  sleepingReceiver?: boolean;
}

/**
 * The physical one-way floor: what this machine takes to carry a frame from one process to another
 * over loopback TCP when neither side waits on a timer or sleeps in the kernel (a sender that spins
 * until each frame is due, a receiver whose event loop polls without sleeping). The first fifth of
 * the frames warm the path and are left out.
 */
export async function oneWayFloorUs(size: OneWaySize): Promise<{ p50Us: number; p99Us: number; count: number }> {
  const receiver = floorChild<ToOneWayReceiver, FromOneWayReceiver>('oneWayReceiver', 'one-way floor receiver');
  const sender = floorChild<ToOneWaySender, FromOneWaySender>('oneWaySender', 'one-way floor sender');
  try {
    const { port } = await receiver.request({ type: 'listen' }, 'listening', CONTROL_TIMEOUT_MS, 'listen');
    await sender.request({ type: 'connect', port }, 'connected', CONTROL_TIMEOUT_MS, 'connect');
    if (!size.sleepingReceiver) await receiver.request({ type: 'poll' }, 'polling', CONTROL_TIMEOUT_MS, 'start polling');
    const sendMs = (size.frames * size.intervalUs) / 1000;
    const { frames, intervalUs, frameBytes } = size;
    await sender.request({ type: 'send', frames, intervalUs, frameBytes }, 'sent', CONTROL_TIMEOUT_MS + sendMs, 'send its frames');
    const measured = size.frames - Math.floor(size.frames / 5);
    // The last frame was written synchronously before 'sent': it is in the receiver's socket by now or within microseconds.
    const r = await receiver.request({ type: 'latency', frames: measured }, 'latency', CONTROL_TIMEOUT_MS, 'report latency');
    return { p50Us: r.p50Us, p99Us: r.p99Us, count: r.count };
  } finally {
    await Promise.all([sender.stop({ type: 'stop' }), receiver.stop({ type: 'stop' })]);
  }
}
