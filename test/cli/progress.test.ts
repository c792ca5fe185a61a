import { describe, expect, it } from 'vitest';
import { progressListener } from '../../src/cli/progress.js';
import type { ProgressInfo } from '../../src/runner/events.js';

const clean = (s: string) => s.replace(/\r\x1b\[2K/g, '\n').trim();

describe('progress line', () => {
  it('shows model, phase, connected clients, deliveries/s so far and time left, redrawn in place', () => {
    const out: string[] = [];
    let now = 1_000_000;
    const l = progressListener({ write: (t: string) => out.push(t) }, () => now);
    const base: ProgressInfo = {
      model: 'sse',
      phase: 'measuring',
      connected: 990,
      target: 1000,
      delivered: 0,
      reconnects: 0,
      phaseEndsAtMs: now + 9500,
    };
    l.phase!(base);
    now += 2000;
    l.progress!({ ...base, delivered: 4000, reconnects: 3 });
    expect(out.every((t) => t.startsWith('\r\x1b[2K'))).toBe(true);
    const last = clean(out.at(-1)!);
    expect(last).toContain('sse');
    expect(last).toContain('measuring');
    expect(last).toContain('990/1000 connected');
    expect(last).toContain('2000 deliveries/s');
    expect(last).toContain('3 reconnects');
    expect(last).toContain('8s left');
  });

  it('starts the rate again for the next model', () => {
    const out: string[] = [];
    let now = 0;
    const l = progressListener({ write: (t: string) => out.push(t) }, () => now);
    l.progress!({ model: 'sse', phase: 'measuring', connected: 1, target: 1, delivered: 0, reconnects: 0 });
    now = 1000;
    l.progress!({ model: 'sse', phase: 'measuring', connected: 1, target: 1, delivered: 500, reconnects: 0 });
    expect(clean(out.at(-1)!)).toContain('500 deliveries/s');
    l.phase!({ model: 'tcp', phase: 'connecting', connected: 0, target: 1, delivered: 0, reconnects: 0 });
    expect(clean(out.at(-1)!)).toContain('tcp        connecting 0/1 connected  0 deliveries/s');
  });
});
