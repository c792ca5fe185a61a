import { afterEach, describe, expect, it } from 'vitest';
import { StallSweeper } from '../../src/models/push/stallSweeper.js';
import { waitFor } from '../helpers/harness.js';

interface Conn {
  name: string;
  partial: boolean;
  progress: number;
  asked: number;
}

let sweeper: StallSweeper<Conn> | undefined;
afterEach(() => sweeper?.stop());

describe('StallSweeper', () => {
  it('ends a connection whose partial frame stands still past the stall time, not one that keeps completing frames or has none open', async () => {
    const expired: string[] = [];
    const stalled: Conn = { name: 'stalled', partial: true, progress: 3, asked: 0 };
    const moving: Conn = { name: 'moving', partial: true, progress: 0, asked: 0 };
    const idle: Conn = { name: 'idle', partial: false, progress: 0, asked: 0 };
    sweeper = new StallSweeper<Conn>(
      40,
      (c) => {
        c.asked++;
        // A peer that completes a frame between every two looks, always with the next one half-sent.
        if (c === moving) c.progress++;
        return c.partial ? c.progress : undefined;
      },
      (c) => expired.push(c.name),
    );
    for (const c of [stalled, moving, idle]) sweeper.add(c);
    sweeper.start();
    await waitFor(() => expired.length > 0, 'the stalled connection to be ended', 5000);
    expect(expired).toEqual(['stalled']);
    // Stall time is 4 ticks: looked at 20 more times, the others are still there.
    const asked = moving.asked;
    await waitFor(() => moving.asked >= asked + 20 && idle.asked >= asked + 20, 'twenty more looks', 5000);
    expect(expired).toEqual(['stalled']);
    // Ended once: no longer looked at.
    expect(stalled.asked).toBeLessThan(moving.asked);
  });

  it('with no stall time, never starts', () => {
    sweeper = new StallSweeper<Conn>(
      0,
      () => 1,
      () => undefined,
    );
    sweeper.start();
    expect((sweeper as unknown as { timer: unknown }).timer).toBeUndefined();
  });
});
