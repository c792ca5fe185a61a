/**
 * The reference server process, forked by the runner (one per model run, so each model gets a
 * fresh heap, its own fd limit and its own CPU figures). Driven by ToServer messages over IPC.
 */
import { ReferenceHost } from './host.js';
import { Publisher } from './publisher.js';
import { getModel } from '../models/index.js';
import { forceGc, peakRssBytes, sampleProcess } from '../metrics/process.js';
import type { FromServer, ServerStart, ToServer } from '../ipc/server.js';
import type { Ports } from '../models/listeners.js';
import type { ResourceSample } from '../metrics/process.js';
import { ConnbenchError } from '../util/errors.js';
import { nowUs } from '../metrics/clock.js';
import { paddingOf } from '../models/message.js';
import { openFilesLimit } from '../metrics/limits.js';
import { WITHHOLD_ENV, parseWithholdSpec } from './withhold.js';
import { NO_CARRY, carryOn, continuedSchedule, type Carry } from './handover.js';

/**
 * Descriptors the server keeps for itself, not for client connections: listeners, IPC, stdio, /proc
 * reads (the plan's RESERVED_FDS, 200, is its own margin for every process when it sizes a run).
 */
const SERVER_OWN_FDS = 100;

let host: ReferenceHost | undefined;
let publisher: Publisher | undefined;
type Schedule = ConstructorParameters<typeof Publisher>[1];
/** What a restart fault carries on (src/server/handover.ts): the publisher's schedule, and the totals of the processes this one replaced. */
let publishing: Schedule | undefined;
let carry: Carry = NO_CARRY;

function startPublishing(log: ReferenceHost['log'], opts: Schedule): void {
  publishing = opts;
  publisher = new Publisher(log, opts);
  publisher.start();
}

/** This process's own totals so far, `own` its sample: what a restart hands on, and what a sample adds to the carry. */
function ownTotals(own: ResourceSample): Carry {
  return {
    cpuUserUs: own.cpuUserUs,
    cpuSystemUs: own.cpuSystemUs,
    wireBytes: host?.wireBytes() ?? NO_CARRY.wireBytes,
    counters: host?.counters ?? {},
    peakRssBytes: peakRssBytes(),
    acceptedBySourceAddress: host?.acceptedBySourceAddress() ?? {},
  };
}

/** A listener of each kind the models attach to, on the port asked for (0 or none: any free port). */
function portsToOpen(m: ServerStart): Ports {
  return Object.fromEntries(m.models.map(({ id }) => getModel(id).listener).map((kind) => [kind, m.ports[kind] ?? 0]));
}

function send(m: FromServer): void {
  process.send?.(m);
}

async function handle(m: ToServer): Promise<void> {
  switch (m.type) {
    case 'start': {
      const withhold = process.env[WITHHOLD_ENV];
      host = new ReferenceHost({
        host: m.host,
        ports: portsToOpen(m),
        retention: m.retention,
        settings: m.settings,
        // Refuse clearly (503, or a close at accept) before the process runs out of descriptors.
        maxConnections: Math.max(1, openFilesLimit() - SERVER_OWN_FDS),
        ...(withhold ? { withhold: parseWithholdSpec(withhold) } : {}),
      });
      for (const { id, options } of m.models) host.attach(getModel(id).createServer(options));
      if (m.restore) {
        host.log.restore(m.restore.log);
        carry = m.restore.carry;
      }
      const ports = await host.listen();
      // What fell due while no server ran goes out at once, stamped with its scheduled time.
      if (m.restore?.publisher) startPublishing(host.log, continuedSchedule(m.restore.publisher));
      return send({ type: 'listening', ports, pid: process.pid });
    }
    case 'publish': {
      if (!host) return;
      const { type: _publish, ...schedule } = m;
      return startPublishing(host.log, schedule);
    }
    case 'stop-publish': {
      if (!host) return;
      publisher?.stop(m.untilUs);
      // An idle scenario ends with a burst, to prove delivery still works after the quiet.
      const body = paddingOf(m.payloadBytes);
      for (let i = 0; i < m.burst; i++) host.log.append({ t: nowUs(), body });
      return send({ type: 'published', lastSeq: host.log.head });
    }
    case 'expected': {
      const log = host!.log;
      // A client that never subscribed expects nothing: it is counted as failed, not as loss.
      const counts = m.queries.map((q) => (q.afterSeq === undefined ? 0 : log.expectedCount(q.afterSeq, m.upToSeq, q.user)));
      return send({ type: 'expected', counts });
    }
    case 'sample': {
      if (m.gc) forceGc();
      const own = sampleProcess(host?.openConnections ?? 0);
      // After a restart, CPU, bytes and counters include the processes this one replaced.
      const total = carryOn(carry, ownTotals(own));
      return send({
        type: 'sample',
        sample: { ...own, cpuUserUs: total.cpuUserUs, cpuSystemUs: total.cpuSystemUs },
        peakRssBytes: total.peakRssBytes,
        counters: total.counters,
        wireBytes: total.wireBytes,
        acceptedBySourceAddress: total.acceptedBySourceAddress,
      });
    }
    case 'dead-peers':
      return send({ type: 'dead-peers', atUs: host?.deadPeersSince(m.sinceUs) ?? [] });
    case 'drop': {
      const { reset, open } = host?.resetFraction(m.fraction) ?? { reset: 0, open: 0 };
      return send({ type: 'dropped', reset, open });
    }
    case 'freeze': {
      if (!host) return;
      // Nothing may reach the log after the snapshot: stop the schedule, then every connection and listener.
      const nextIndex = publisher?.stop();
      publisher = undefined;
      await host.close();
      return send({
        type: 'frozen',
        handover: {
          log: host.log.snapshot(),
          ...(publishing && nextIndex !== undefined ? { publisher: { ...publishing, nextIndex } } : {}),
          carry: carryOn(carry, ownTotals(sampleProcess(0))),
        },
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
    send({
      type: 'error',
      code: e?.code ?? 'CB_ERR_SERVER',
      message: (err as Error)?.message ?? String(err),
      ...(e?.hint ? { hint: e.hint } : {}),
    });
  });
});
// The runner going away (crash, kill -9) must not leave the server behind.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the runner decides how children stop, so ignore it here.
process.on('SIGINT', () => undefined);
