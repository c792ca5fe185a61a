import { afterEach, describe, expect, it } from 'vitest';
import { Child } from '../../src/runner/child.js';
import type { FromServer, ToServer } from '../../src/ipc/server.js';

/**
 * Replies meet their requests by id (src/ipc/common.ts, Correlated), tried on a real reference
 * server process: requests of the same type in flight at once each get their own answer, and an
 * error answer fails only the request it answers.
 */
let server: Child<ToServer, FromServer> | undefined;
afterEach(async () => {
  await server?.stop({ type: 'shutdown' });
  server = undefined;
});

const TIMEOUT_MS = 20_000;

describe('Child: replies matched to requests by id', () => {
  it('two requests of one type in flight at once each get the answer to their own question', async () => {
    server = new Child<ToServer, FromServer>('server/main.js', 'server process for the child test');
    const settings = { heartbeat: { intervalMs: 1000, timeoutMs: 2000 } };
    await server.request(
      { type: 'start', models: [{ id: 'tcp', options: undefined }], host: '127.0.0.1', ports: {}, retention: 100, settings },
      'listening',
      TIMEOUT_MS,
      'start listening',
    );
    expect((await server.request({ type: 'burst', count: 10, payloadBytes: 8 }, 'head', TIMEOUT_MS, 'publish a burst')).lastSeq).toBe(10);
    const ask = (afterSeqs: number[]) =>
      server!.request(
        { type: 'expected', queries: afterSeqs.map((afterSeq) => ({ afterSeq })), upToSeq: 10 },
        'expected',
        TIMEOUT_MS,
        'count',
      );
    const [a, b, c] = await Promise.all([ask([0]), ask([5, 7]), ask([9, 10, 2])]);
    expect(a.counts).toEqual([10]);
    expect(b.counts).toEqual([5, 3]);
    expect(c.counts).toEqual([1, 0, 8]);
  });

  it('an error answer fails the request it answers and no other', async () => {
    server = new Child<ToServer, FromServer>('server/main.js', 'server process for the child test');
    // Before `start` the server can report a sample but has no log to publish into.
    const refused = server.request({ type: 'burst', count: 1, payloadBytes: 8 }, 'head', TIMEOUT_MS, 'publish a burst');
    const sampled = server.request({ type: 'sample', gc: false }, 'sample', TIMEOUT_MS, 'report a sample');
    await expect(refused).rejects.toMatchObject({
      code: 'CB_ERR_SERVER',
      message: expect.stringMatching(/"burst" arrived before "start"/),
    });
    expect((await sampled).sample.pid).toBe(server.pid);
  });
});
