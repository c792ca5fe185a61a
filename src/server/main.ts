/**
 * The reference server process, forked by the runner (one per model run, so each model gets a
 * fresh heap, its own fd limit and its own CPU figures). Driven by ToServer messages over IPC.
 */
import { ReferenceHost } from './host.js';
import { Publisher } from './publisher.js';
import { getModel } from '../models/index.js';
import { forceGc, peakRssBytes, sampleProcess } from '../metrics/process.js';
import { PUBLISH_SPIN_COUNTER, type FromServer, type ServerStart, type ToServer } from '../ipc/server.js';
import { answerRequests, type Correlated } from '../ipc/common.js';
import type { Ports } from '../models/listeners.js';
import type { ResourceSample } from '../metrics/process.js';
import { ConnbenchError, runError } from '../util/errors.js';
import { nowUs } from '../metrics/clock.js';
import { paddingOf } from '../models/message.js';
import { encodeHistogram, loadHistograms } from '../metrics/histogram.js';
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
/** The spin of this process's publishers that were replaced (Publisher.spunUs), µs. */
let earlierSpinUs = 0;

function startPublishing(log: ReferenceHost['log'], opts: Schedule): void {
  retirePublisher();
  publishing = opts;
  publisher = new Publisher(log, opts);
  publisher.start();
}

function retirePublisher(): void {
  earlierSpinUs += publisher?.spunUs ?? 0;
  publisher = undefined;
}

/** This process's own totals so far, `own` its sample: what a restart hands on, and what a sample adds to the carry. */
function ownTotals(own: ResourceSample): Carry {
  return {
    cpuUserUs: own.cpuUserUs,
    cpuSystemUs: own.cpuSystemUs,
    wireBytes: host?.wireBytes() ?? NO_CARRY.wireBytes,
    counters: { ...host?.counters, [PUBLISH_SPIN_COUNTER]: earlierSpinUs + (publisher?.spunUs ?? 0) },
    peakRssBytes: peakRssBytes(),
    acceptedBySourceAddress: host?.acceptedBySourceAddress() ?? {},
  };
}

/** A listener of each kind the models attach to, on the port asked for (0 or none: any free port). */
function portsToOpen(m: ServerStart): Ports {
  return Object.fromEntries(m.models.map(({ id }) => getModel(id).listener).map((kind) => [kind, m.ports[kind] ?? 0]));
}

/** Starts a host for the models asked for; after a restart fault, carries on from the one it replaces. */
async function start(m: ServerStart): Promise<FromServer> {
  // Before the runner's memory baseline and the first message: the publisher's recorders need it.
  loadHistograms();
  const withhold = process.env[WITHHOLD_ENV];
  const started = new ReferenceHost({
    host: m.host,
    ports: portsToOpen(m),
    retention: m.retention,
    settings: m.settings,
    // Refuse clearly (503, or a close at accept) before the process runs out of descriptors.
    maxConnections: Math.max(1, openFilesLimit() - SERVER_OWN_FDS),
    ...(m.tls ? { tls: m.tls } : {}),
    ...(withhold ? { withhold: parseWithholdSpec(withhold) } : {}),
  });
  host = started;
  for (const { id, options } of m.models) started.attach(getModel(id).createServer(options));
  if (m.restore) {
    started.log.restore(m.restore.log);
    carry = m.restore.carry;
  }
  const ports = await started.listen();
  // What fell due while no server ran goes out at once, stamped with its scheduled time.
  if (m.restore?.publisher) startPublishing(started.log, continuedSchedule(m.restore.publisher));
  return { type: 'listening', ports, pid: process.pid };
}

/** The log head, the answer to every message that changes it or asks for it. */
function head(log: ReferenceHost['log']): FromServer {
  return { type: 'head', lastSeq: log.head };
}

/** Memory, CPU, bytes and counters; after a restart they include the processes this one replaced. */
function sample(gc: boolean): FromServer {
  if (gc) forceGc();
  const own = sampleProcess(host?.openConnections ?? 0);
  const total = carryOn(carry, ownTotals(own));
  return {
    type: 'sample',
    sample: { ...own, cpuUserUs: total.cpuUserUs, cpuSystemUs: total.cpuSystemUs },
    peakRssBytes: total.peakRssBytes,
    counters: total.counters,
    wireBytes: total.wireBytes,
    acceptedBySourceAddress: total.acceptedBySourceAddress,
  };
}

/** Restart fault: nothing may reach the log after the snapshot, so the schedule stops, then every connection and listener. */
async function freeze(running: ReferenceHost): Promise<FromServer> {
  const nextIndex = publisher?.stop();
  retirePublisher();
  await running.close();
  return {
    type: 'frozen',
    handover: {
      log: running.log.snapshot(),
      ...(publishing && nextIndex !== undefined ? { publisher: { ...publishing, nextIndex } } : {}),
      carry: carryOn(carry, ownTotals(sampleProcess(0))),
    },
  };
}

/** The reply to one message from the runner (none for `publish` and for what comes before `start`). */
async function handle(m: ToServer): Promise<FromServer | undefined> {
  if (m.type === 'start') return start(m);
  if (m.type === 'sample') return sample(m.gc);
  if (m.type === 'shutdown') {
    publisher?.stop();
    await host?.close();
    process.exit(0);
  }
  if (!host) throw runError('CB_ERR_SERVER', `"${m.type}" arrived before "start"`);
  const log = host.log;
  switch (m.type) {
    case 'publish': {
      const { type: _publish, ...schedule } = m;
      return void startPublishing(log, schedule);
    }
    case 'stop-publishing':
      publisher?.stop(m.untilUs);
      return head(log);
    case 'burst': {
      const body = paddingOf(m.payloadBytes);
      for (let i = 0; i < m.count; i++) log.append({ t: nowUs(), body });
      return head(log);
    }
    case 'head':
      return head(log);
    case 'publish-times':
      return publisher
        ? { type: 'publish-times', lag: encodeHistogram(publisher.lag), handoff: encodeHistogram(publisher.handoff) }
        : { type: 'publish-times', lag: null, handoff: null };
    case 'expected':
      // A client that never subscribed expects nothing: it is counted as failed, not as loss.
      return {
        type: 'expected',
        counts: m.queries.map((q) => (q.afterSeq === undefined ? 0 : log.expectedCount(q.afterSeq, m.upToSeq, q.user))),
      };
    case 'dead-peers':
      return { type: 'dead-peers', atUs: host.deadPeersSince(m.sinceUs) };
    case 'drop':
      return { type: 'dropped', ...host.resetFraction(m.fraction) };
    case 'freeze':
      return freeze(host);
  }
}

answerRequests<ToServer & Correlated, FromServer>(handle, (err) => {
  const e = err instanceof ConnbenchError ? err : undefined;
  return { code: e?.code ?? 'CB_ERR_SERVER', message: (err as Error)?.message ?? String(err), ...(e?.hint ? { hint: e.hint } : {}) };
});
// The runner going away (crash, kill -9) must not leave the server behind.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group; the runner decides how children stop, so ignore it here.
process.on('SIGINT', () => undefined);
