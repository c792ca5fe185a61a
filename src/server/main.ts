/**
 * The reference server process, forked by the runner (one per model run, so each model gets a
 * fresh heap, its own fd limit and its own CPU figures). Driven by ToServer messages over IPC.
 */
import { ReferenceHost } from './host.js';
import { Publisher } from './publisher.js';
import { getModel } from '../models/index.js';
import { forceGc, peakRssBytes, sampleProcess } from '../metrics/process.js';
import type { FromServer, ToServer } from '../runner/ipc.js';
import { ConnbenchError } from '../util/errors.js';
import { nowUs } from '../metrics/clock.js';
import { paddingOf } from '../models/message.js';
import { openFilesLimit } from '../metrics/limits.js';
import { WITHHOLD_ENV, parseWithholdSpec } from './withhold.js';

/** Descriptors kept back from client connections: listeners, IPC, stdio, /proc reads. */
const RESERVED_FDS = 100;

let host: ReferenceHost | undefined;
let publisher: Publisher | undefined;
let windowStartSeq = 0;

function send(m: FromServer): void {
  process.send?.(m);
}

async function handle(m: ToServer): Promise<void> {
  switch (m.type) {
    case 'start': {
      const withhold = process.env[WITHHOLD_ENV];
      host = new ReferenceHost({
        host: m.host,
        httpPort: m.httpPort,
        tcpPort: m.tcpPort,
        retention: m.retention,
        settings: m.settings,
        // Refuse clearly (503, or a close at accept) before the process runs out of descriptors.
        maxConnections: Math.max(1, openFilesLimit() - RESERVED_FDS),
        ...(withhold ? { withhold: parseWithholdSpec(withhold) } : {}),
      });
      for (const id of m.models) host.attach(getModel(id).createServer());
      const ports = await host.listen();
      return send({ type: 'listening', ...ports, pid: process.pid });
    }
    case 'publish': {
      if (!host) return;
      windowStartSeq = host.log.head;
      publisher = new Publisher(host.log, m);
      publisher.start();
      return;
    }
    case 'stop-publish': {
      if (!host) return;
      publisher?.stop(m.untilUs);
      // An idle scenario ends with a burst, to prove delivery still works after the quiet.
      const body = paddingOf(m.payloadBytes);
      for (let i = 0; i < m.burst; i++) host.log.append({ t: nowUs(), body });
      return send({ type: 'published', lastSeq: host.log.head, publishedInWindow: host.log.head - windowStartSeq, lateMaxUs: publisher?.lateMaxUs ?? 0 });
    }
    case 'expected': {
      const log = host!.log;
      // A client that never subscribed expects nothing: it is counted as failed, not as loss.
      const counts = m.queries.map((q) => (q.afterSeq === undefined ? 0 : log.expectedCount(q.afterSeq, m.upToSeq, q.user)));
      return send({ type: 'expected', counts });
    }
    case 'sample': {
      if (m.gc) forceGc();
      return send({
        type: 'sample',
        sample: sampleProcess(host?.openConnections ?? 0),
        peakRssBytes: peakRssBytes(),
        counters: { ...(host?.counters ?? {}) },
        wireBytes: host?.wireBytes() ?? { sentBytes: 0, receivedBytes: 0, httpRequests: 0 },
        acceptedBySourceAddress: host?.acceptedBySourceAddress() ?? {},
      });
    }
    case 'shutdown': {
      publisher?.stop();
      await host?.close();
      process.exit(0);
    }
  }
}

process.on('message', (m: ToServer) => {
  handle(m).catch((err: unknown) => {
    const e = err instanceof ConnbenchError ? err : undefined;
    send({ type: 'error', code: e?.code ?? 'CB_ERR_SERVER', message: (err as Error)?.message ?? String(err), ...(e?.hint ? { hint: e.hint } : {}) });
  });
});
// The runner going away (crash, kill -9) must not leave the server behind.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the runner decides how children stop, so ignore it here.
process.on('SIGINT', () => undefined);
