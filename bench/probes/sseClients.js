// @ts-check
/**
 * Both SSE clients on their own, without the worker around them: `count` clients of one kind in
 * this fresh process, sharing one undici Agent (as the worker did before it gave each client its
 * own pool), RSS sampled with forced GC before and after. What item 3 of issue 8 is about: the
 * cost of the client itself.
 */
import { Agent } from 'undici';
import { sseModel } from '../../dist/models/sse/index.js';
import { forceGc, serve } from '../floors/common.js';
import { loadLazyPackages } from '../../dist/util/lazyPackage.js';

// The reference client loads eventsource on its first connect: before the baseline, as a worker does.
loadLazyPackages();

/** Connects in flight at once, as in the bare net client. */
const CONNECTS_IN_FLIGHT = 200;
const SETTLE_MS = 1000;

/** @type {import('../../dist/models/types.js').ModelClient[]} */
const clients = [];
const noop = () => undefined;
/** @type {import('../../dist/models/types.js').ClientHandler} */
const handler = { onSubscribed: noop, onMessage: noop, onGap: noop, onError: noop, onClose: noop };

serve(
  /** @param {import('./protocol.js').ToSseClients} m */
  async (m, reply) => {
    if (m.type === 'stop') {
      await Promise.race([Promise.all(clients.map((c) => c.close())), new Promise((r) => setTimeout(r, 3000))]);
      process.exit(0);
    }
    const agent = new Agent({ keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000, pipelining: 1 });
    forceGc();
    const before = process.memoryUsage();
    let failed = 0;
    for (let first = 0; first < m.count; first += CONNECTS_IN_FLIGHT) {
      const batch = [];
      for (let i = first; i < Math.min(m.count, first + CONNECTS_IN_FLIGHT); i++) {
        const c = sseModel.createClient(
          {
            clientId: i,
            user: `u${i}`,
            host: '127.0.0.1',
            port: m.port,
            cursor: null,
            heartbeat: { intervalMs: 60_000, timeoutMs: 120_000 },
            dispatcher: agent,
            clientsInPoint: m.count,
            modelOptions: { retryMs: 1000, client: m.kind, echo: false },
          },
          handler,
        );
        clients.push(c);
        batch.push(c.connect().catch(() => void failed++));
      }
      await Promise.all(batch);
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    forceGc();
    const after = process.memoryUsage();
    const connected = m.count - failed;
    reply({
      type: 'measured',
      connected,
      rssPerClientBytes: Math.round((after.rss - before.rss) / Math.max(1, connected)),
      heapPerClientBytes: Math.round((after.heapUsed - before.heapUsed) / Math.max(1, connected)),
    });
  },
);
