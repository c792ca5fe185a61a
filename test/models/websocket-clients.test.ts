import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { websocketModel } from '../../src/models/websocket/index.js';
import type { ClientHandler, Model, ModelClient } from '../../src/models/types.js';
import { nowUs } from '../../src/metrics/clock.js';
import { LEAN_WEBSOCKET_CLIENT_ABOVE, websocketClientFor } from '../../src/models/websocket/clientChoice.js';
import { clientOptions, closeSharedAgent, startHost, waitFor } from '../helpers/harness.js';

/**
 * The lean websocket client against the ws-based one on the same server and the same stream: what
 * each reports must be the same, call for call (test/models/websocket-tcp.test.ts runs the
 * conformance tests against each of them on its own).
 */

type Kind = 'reference' | 'lean';
const KINDS: Kind[] = ['reference', 'lean'];

const hosts: Awaited<ReturnType<typeof startHost>>[] = [];
const clients: ModelClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});
afterAll(() => closeSharedAgent());

function withClient(client: Kind): Model {
  return {
    ...websocketModel,
    createClient: (o, h) => websocketModel.createClient({ ...o, modelOptions: { ...(o.modelOptions as object), client } }, h),
  };
}

/** Every handler call as one line; receive times left out, they differ by nature. */
function recordingHandler(log: string[]): ClientHandler {
  return {
    onSubscribed: (cursor) => log.push(`subscribed ${cursor}`),
    onMessage: (m) => log.push(`message ${m.seq} t=${m.t} from=${m.from ?? '-'} to=${m.to ?? '-'}`),
    onGap: (g) => log.push(`gap ${g.fromSeq}-${g.toSeq}`),
    onError: (e) => log.push(`error ${e.code}`),
    onClose: () => log.push('close'),
  };
}

/** Multi-byte characters and escapes in big bodies: frames of every length class, and JSON.parse's path. */
const WIDE_BODY = 'ü€😀"\\\n'.repeat(12_000);

describe('the lean and the ws-based websocket client on the same stream', () => {
  it('report the same subscription, gap, messages and end, call for call', async () => {
    const h = await startHost([websocketModel], { retention: 40 });
    hosts.push(h);
    h.publish(30);
    for (let i = 0; i < 30; i++) h.host.log.append({ t: nowUs(), from: 'u9', to: i % 2 === 0 ? 'u1' : 'u2', body: WIDE_BODY });
    const logs = new Map<Kind, string[]>(KINDS.map((k) => [k, []]));
    for (const kind of KINDS) {
      // Cursor 0 is older than retention: both get the gap first, then the retained backlog.
      const c = withClient(kind).createClient({ ...clientOptions(websocketModel, h, 1), cursor: 0 }, recordingHandler(logs.get(kind)!));
      clients.push(c);
      await c.connect();
    }
    for (let i = 0; i < 40; i++) {
      if (i % 3 === 0) h.host.log.append({ t: nowUs(), from: 'u7', to: 'u1', body: i % 2 ? WIDE_BODY : 'short' });
      else h.publish(1, i * 10);
      await new Promise((r) => setImmediate(r));
    }
    const expected = h.host.log.expectedCount(20, h.host.log.head, 'u1');
    const messages = (k: Kind) => logs.get(k)!.filter((l) => l.startsWith('message')).length;
    await waitFor(() => KINDS.every((k) => messages(k) === expected), `${expected} messages at both clients`);
    await h.close();
    await waitFor(() => KINDS.every((k) => logs.get(k)!.includes('close')), 'both connections to end');
    const reference = logs.get('reference')!;
    expect(reference.slice(0, 2)).toEqual(['subscribed 0', 'gap 1-20']);
    expect(reference.filter((l) => l.includes('from=u9')).length).toBe(15);
    expect(logs.get('lean')).toEqual(reference);
  });

  it('auto picks the lean client above the line, the reference client at and below it', () => {
    expect(websocketClientFor('auto', LEAN_WEBSOCKET_CLIENT_ABOVE)).toBe('reference');
    expect(websocketClientFor('auto', LEAN_WEBSOCKET_CLIENT_ABOVE + 1)).toBe('lean');
    expect(websocketClientFor('lean', 1)).toBe('lean');
    expect(websocketClientFor('reference', 1_000_000)).toBe('reference');
  });
});
