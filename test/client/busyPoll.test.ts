import { describe, expect, it } from 'vitest';
import { BusyPoll } from '../../src/client/busyPoll.js';

const turns = (n: number) =>
  new Promise<void>((resolve) => {
    let left = n;
    const next = () => (--left <= 0 ? resolve() : setImmediate(next));
    setImmediate(next);
  });

describe('BusyPoll', () => {
  it('polls until stopped, and timers and I/O still run between its turns', async () => {
    const p = new BusyPoll();
    p.start(60_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(p.polling).toBe(true);
    p.stop();
    expect(p.polling).toBe(false);
  });

  it('stops by itself after its maximum, so a lost stop never leaves a core spinning', async () => {
    const p = new BusyPoll();
    p.start(30);
    await new Promise((r) => setTimeout(r, 80));
    await turns(3);
    expect(p.polling).toBe(false);
  });
});
