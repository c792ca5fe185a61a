import { describe, expect, it } from 'vitest';
import { libServerMemory } from '../../bench/figures/memory.js';
import { helloOf, LibServerFloor } from '../../bench/figures/netFloor.js';
import { CONTROL_TIMEOUT_MS } from '../../bench/children.js';
import { sleep } from '../../dist/util/sleep.js';

/**
 * The bare library servers the reference servers are weighed against: each must hold every
 * connection its bare clients open with connbench's request, and count only what it holds, since
 * the measurement throws rather than weigh sockets that hold nothing.
 */
describe('bare library servers (bench/floors/libServer.js)', () => {
  it.each(['websocket', 'sse', 'long-poll'] as const)(
    '%s holds a stream for every connection',
    async (kind) => {
      const r = await libServerMemory(kind, 12);
      expect(Number.isInteger(r.serverBytes) && Number.isInteger(r.serverHeapBytes)).toBe(true);
    },
    60_000,
  );

  it('counts no connection whose request it did not take', async () => {
    // A plain GET to the WebSocket server: ws answers 426 Upgrade Required and holds nothing.
    const floor = new LibServerFloor('websocket');
    try {
      await floor.listen();
      const r = await floor.client.request(
        { type: 'connect', port: floor.port, count: 3, hello: helloOf('sse', floor.port) },
        'connected',
        CONTROL_TIMEOUT_MS,
        'connect',
      );
      expect(r).toMatchObject({ count: 3, failed: 0 });
      // For half a second: long enough for a server that took the requests to hold them (their
      // upgrades complete within milliseconds here), so this fails for a server that would.
      for (let i = 0; i < 10; i++) {
        expect((await floor.sample(false)).server.sockets).toBe(0);
        await sleep(50);
      }
    } finally {
      await floor.stop();
    }
  }, 60_000);
});
