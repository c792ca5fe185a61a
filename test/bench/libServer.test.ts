import { describe, expect, it } from 'vitest';
import { libServerMemory } from '../../bench/figures/memory.js';

/**
 * The bare library servers the reference servers are weighed against: each must hold every
 * connection its bare clients open with connbench's request (a wrong upgrade or path would leave
 * them unheld, and the measurement throws rather than weigh sockets that hold nothing).
 */
describe('bare library servers (bench/floors/libServer.js)', () => {
  it.each(['websocket', 'sse', 'long-poll'] as const)(
    '%s holds a stream for every connection',
    async (kind) => {
      const r = await libServerMemory(kind, 12);
      expect(Number.isFinite(r.serverBytes) && Number.isFinite(r.serverHeapBytes)).toBe(true);
    },
    60_000,
  );
});
