import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sseModel } from '../../src/models/sse/index.js';
import type { ClientHandler, Model, ModelClient } from '../../src/models/types.js';
import type { ClientSession } from '../../src/client/session.js';
import { nowUs } from '../../src/metrics/clock.js';
import { LEAN_SSE_CLIENT_ABOVE, sseClientFor } from '../../src/models/sse/clientChoice.js';
import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { clientOptions, closeSharedAgent, collectingSink, newSession, startHost, waitFor } from '../helpers/harness.js';

/**
 * The lean SSE client against the reference one on the same server and the same stream: what each
 * reports must be the same, call for call. (test/models/sse.test.ts runs the conformance tests
 * against each of them on its own.)
 */

type Kind = 'reference' | 'lean';
const KINDS: Kind[] = ['reference', 'lean'];

type Host = Awaited<ReturnType<typeof startHost>>;
const hosts: Host[] = [];
const clients: ModelClient[] = [];
const sessions: ClientSession[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(sessions.splice(0).map((s) => s.stop()));
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

afterAll(async () => {
  await closeSharedAgent();
});

function withClient(kind: Kind): Model {
  return { ...sseModel, createClient: (o, h) => sseModel.createClient({ ...o, sseClient: kind }, h) };
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

/** Multi-byte characters in big bodies: the stream splits inside UTF-8 sequences somewhere. */
const WIDE_BODY = 'ü€😀'.repeat(6000);

describe('the lean and the reference SSE client on the same stream', () => {
  it('report the same subscription, gap, messages and end, call for call', async () => {
    const h = await startHost([sseModel], { retention: 40 });
    hosts.push(h);
    h.publish(30);
    for (let i = 0; i < 30; i++) h.host.log.append({ t: nowUs(), from: 'u9', to: i % 2 === 0 ? 'u1' : 'u2', body: WIDE_BODY });
    const logs = new Map<Kind, string[]>(KINDS.map((k) => [k, []]));
    for (const kind of KINDS) {
      // Cursor 0 is older than retention: both get the gap first, then the retained backlog.
      const c = withClient(kind).createClient({ ...clientOptions(h, 1), cursor: 0 }, recordingHandler(logs.get(kind)!));
      clients.push(c);
      await c.connect();
    }
    for (let i = 0; i < 40; i++) {
      if (i % 3 === 0) h.host.log.append({ t: nowUs(), from: 'u7', to: 'u1', body: WIDE_BODY });
      else h.publish(1, 2000);
      await new Promise((r) => setImmediate(r));
    }
    const expected = h.host.log.expectedCount(20, h.host.log.head, 'u1');
    const messages = (k: Kind) => logs.get(k)!.filter((l) => l.startsWith('message')).length;
    await waitFor(() => KINDS.every((k) => messages(k) === expected), `${expected} messages at both clients`);
    // The server ends every stream: both see it end the same way.
    await h.close();
    await waitFor(() => KINDS.every((k) => logs.get(k)!.includes('close')), 'both streams to end');

    const reference = logs.get('reference')!;
    expect(reference.slice(0, 2)).toEqual(['subscribed 0', 'gap 1-20']);
    expect(reference.filter((l) => l.includes('from=u9')).length).toBe(15);
    expect(reference.slice(-2)).toEqual(['error CB_ERR_STREAM_ENDED', 'close']);
    expect(logs.get('lean')).toEqual(reference);
  });

  it('end up with the same messages through sessions that drop and resume by cursor', async () => {
    const h = await startHost([sseModel]);
    hosts.push(h);
    const seen = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
    const both = KINDS.map((kind) => {
      const s = newSession(withClient(kind), h, 3, { ...collectingSink(), latency: (_us, m) => seen.get(kind)!.push(m.seq) });
      sessions.push(s);
      return s;
    });
    await Promise.all(both.map((s) => s.start()));
    h.publish(25);
    await waitFor(() => both.every((s) => s.tracker.unique === 25), 'the first 25 messages');
    for (const s of both) s.drop();
    h.publish(25);
    await waitFor(() => both.every((s) => s.reconnects >= 1 && s.connected), 'both to reconnect');
    h.publish(25, 5000);
    await waitFor(() => both.every((s) => s.tracker.unique === 75), 'all 75 messages');
    const [reference, lean] = both;
    expect(lean!.tracker.startCursor).toBe(reference!.tracker.startCursor);
    expect([lean!.tracker.duplicates, lean!.tracker.reordered, lean!.tracker.gapped]).toEqual([0, 0, 0]);
    expect([reference!.tracker.duplicates, reference!.tracker.reordered, reference!.tracker.gapped]).toEqual([0, 0, 0]);
    expect(seen.get('lean')).toEqual(seen.get('reference'));
    expect(seen.get('lean')).toEqual(Array.from({ length: 75 }, (_, i) => i + 1));
  });
});

describe('choosing the SSE client', () => {
  it('auto picks the lean client above the documented count, and an explicit choice always wins', () => {
    expect(sseClientFor('auto', 1)).toBe('reference');
    expect(sseClientFor('auto', LEAN_SSE_CLIENT_ABOVE)).toBe('reference');
    expect(sseClientFor('auto', LEAN_SSE_CLIENT_ABOVE + 1)).toBe('lean');
    expect(sseClientFor('reference', 50_000)).toBe('reference');
    expect(sseClientFor('lean', 1)).toBe('lean');
  });

  it('reads sse.client from a scenario (default auto) and refuses an unknown client', () => {
    expect(expandMatrix(validateScenario({}))[0]!.sse.client).toBe('auto');
    expect(expandMatrix(validateScenario({ sse: { client: 'lean' } }))[0]!.sse.client).toBe('lean');
    expect(() => validateScenario({ sse: { client: 'fast' } })).toThrow(/sse\.client: expected one of "auto", "reference", "lean"/);
  });
});
