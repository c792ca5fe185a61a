import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { getModel } from '../../src/models/index.js';
import type { ClientHandler } from '../../src/models/types.js';
import type { Incoming } from '../../src/models/message.js';
import { nowUs } from '../../src/metrics/clock.js';
import { clientOptions, closeSharedAgent, startHost, waitFor } from '../helpers/harness.js';

type Started = Awaited<ReturnType<typeof startHost>>;

// An empty user= (or "user":"" in a tcp HELLO) is no user: the reader gets broadcasts only, in
// every model, so a hand-made client sees the same thing whichever model it talks to.
describe.each(['sse', 'websocket', 'tcp', 'long-poll'] as const)('%s: an empty user is no user', (id) => {
  const model = getModel(id);
  const hosts: Started[] = [];
  const closes: (() => Promise<void>)[] = [];

  afterEach(async () => {
    await Promise.all(closes.splice(0).map((f) => f()));
    await Promise.all(hosts.splice(0).map((h) => h.close()));
  });
  afterAll(() => closeSharedAgent());

  it('reads broadcasts, not a message addressed to the empty user', async () => {
    const srv = await startHost([model]);
    hosts.push(srv);
    const messages: Incoming[] = [];
    const h: ClientHandler = {
      onSubscribed: () => undefined,
      onMessage: (m) => void messages.push(m),
      onGap: () => undefined,
      onError: () => undefined,
      onClose: () => undefined,
    };
    const client = model.createClient({ ...clientOptions(model, srv, 1, { user: '' }), cursor: 0 }, h);
    closes.push(() => client.close());
    await client.connect();
    srv.host.accept('u9', { to: '', t: nowUs(), body: 'to the empty user' });
    srv.publish(1);
    await waitFor(() => messages.some((m) => m.seq === 2), 'the broadcast');
    expect(messages.map((m) => m.seq)).toEqual([2]);
  });
});
