import { runModel } from '../../dist/runner/runModel.js';
import { SETTLE_MS } from '../../dist/scenario/phases.js';
import { planRun } from '../../dist/runner/plan.js';
import { openFilesLimit } from '../../dist/metrics/limits.js';
import { formatInt } from '../../dist/util/units.js';
import { sleep } from '../../dist/util/sleep.js';
import type { ModelId } from '../../dist/models/types.js';
import type { ModelResult } from '../../dist/report/result.js';
import { benchScenario, idleMemoryScenario, QUIET_HEARTBEAT } from '../scenario.js';
import { figure, type Figure } from '../figure.js';
import { LibServerFloor, MEMORY_HOLD_MS, NetFloor, type Certificates, type HeldSockets } from './netFloor.js';
import { BenchServer } from '../fleet.js';
import { probeChild } from '../children.js';
import type { FromSseClients, ToSseClients } from '../probes/protocol.js';
import type { LibServerKind, ToLibServer, ToNetServer } from '../floors/protocol.js';

export interface MemorySize {
  connections: number;
  rampUpMs: number;
}

/** One model run of the memory figures; sse runs once per client so both are on record. */
export interface MemoryRun {
  model: ModelId;
  sseClient?: 'reference' | 'lean';
}

type SseKind = 'reference' | 'lean';
const SSE_KINDS: SseKind[] = ['reference', 'lean'];

export const MEMORY_RUNS: MemoryRun[] = [
  { model: 'tcp' },
  { model: 'websocket' },
  { model: 'sse', sseClient: 'lean' },
  { model: 'sse', sseClient: 'reference' },
  { model: 'long-poll' },
  { model: 'short-poll' },
];

/** Goals of the server figure per model (issue 8); short polling holds no idle connection to weigh. */
const SERVER_GOALS: Partial<Record<ModelId, number>> = { tcp: 1.3, websocket: 2, sse: 2.5, 'long-poll': 3 };
const CLIENT_GOAL = 3;

/** The models whose reference server is written with a library, whose bare server is measured beside it, and what that server is. */
const LIBRARY_SERVER: Record<LibServerKind, string> = {
  websocket: '`ws` WebSocketServer',
  sse: '`node:http` event-stream server',
  'long-poll': '`node:http` server holding each poll',
};
const isLibServerKind = (model: ModelId): model is LibServerKind => Object.hasOwn(LIBRARY_SERVER, model);

/**
 * RSS per idle connection of the reference server and of the simulated clients, from the runner's
 * own memory phase (fresh processes, forced GC, connect, settle, forced GC, difference / connections),
 * against a bare `net` server and client holding the same count, sampled the same way.
 */
export async function memoryFigures(size: MemorySize, runs: MemoryRun[] = MEMORY_RUNS, sseAlone: SseKind[] = SSE_KINDS): Promise<Figure[]> {
  const floor = await netFloorMemory(size.connections);
  const figures: Figure[] = [];
  for (const kind of sseAlone) {
    const r = await sseClientAlone(size.connections, kind);
    figures.push(
      figure({
        id: `client.rssPerConnection.sse.${kind}.alone`,
        title: `SSE ${kind} client alone (one shared undici Agent, no worker), RSS per connection`,
        unit: 'bytes/connection',
        measured: r.rssPerClientBytes,
        floor: floor.clientBytes,
        floorName: 'bare net client',
        goal: { op: '<=', ratio: CLIENT_GOAL },
        details: { connected: r.connected, target: size.connections, heapPerClientBytes: r.heapPerClientBytes },
        explain: {
          why: `the V8 heap holds ${bytes(r.heapPerClientBytes)} of each client's ${bytes(r.rssPerClientBytes)}`,
          docs: 'The lean SSE client (issue 8, item 3)',
        },
      }),
    );
  }
  const serverDone = new Set<ModelId>();
  for (const run of runs) {
    const label = run.sseClient ? `${run.model} (${run.sseClient} client)` : run.model;
    const s = idleMemoryScenario(run.model, size, {
      longPoll: { hold: `${MEMORY_HOLD_MS}ms` },
      ...(run.sseClient ? { sse: { client: run.sseClient } } : {}),
    });
    const row = await runModel(s, run.model, planRun(s, { openFilesLimit: openFilesLimit() }), []);
    const details = rowDetails(row);
    const serverGoal = SERVER_GOALS[run.model];
    if (serverGoal !== undefined && !serverDone.has(run.model)) {
      serverDone.add(run.model);
      const bareLibrary = isLibServerKind(run.model)
        ? { name: LIBRARY_SERVER[run.model], held: await libServerMemory(run.model, size.connections) }
        : undefined;
      figures.push(serverFigure(run.model, row, serverGoal, floor.serverBytes, size.connections, bareLibrary));
    }
    figures.push(
      figure({
        id: `client.rssPerConnection.${run.model}${run.sseClient ? `.${run.sseClient}` : ''}`,
        title: `simulated client RSS per connection, ${label}`,
        unit: 'bytes/connection',
        measured: row.client.rssPerClientBytes ?? NaN,
        floor: floor.clientBytes,
        floorName: 'bare net client',
        goal: { op: '<=', ratio: CLIENT_GOAL },
        details: { ...details, boundBytes: row.client.rssPerClientBytesBound ?? 'none' },
        explain: {
          why: memoryWhy(row.client.rssPerClientBytes, floor.clientBytes * CLIENT_GOAL, row.client.rssPerClientBytesBound),
          ...(run.model === 'short-poll' ? { profile: 'node bench/micro/shortPollClientRss.mjs' } : {}),
          docs: 'Where a goal is missed, and what limits it',
        },
      }),
    );
  }
  return figures;
}

/** A reference server's RSS per idle connection against the bare net server, and beside it the bare server of its library. */
function serverFigure(
  model: ModelId,
  row: ModelResult,
  goal: number,
  floorBytes: number,
  connections: number,
  bareLibrary: { name: string; held: HeldBytes } | undefined,
): Figure {
  const measured = row.server.rssPerConnectionBytes;
  const heapBytes = row.server.heapPerConnectionBytes;
  return figure({
    id: `server.rssPerConnection.${model}`,
    title: `reference server RSS per idle connection, ${model}`,
    unit: 'bytes/connection',
    // Not measured (null: no client connected) misses the goal.
    measured: measured ?? NaN,
    floor: floorBytes,
    floorName: 'bare net server',
    goal: { op: '<=', ratio: goal },
    details: {
      ...rowDetails(row),
      heapPerConnectionBytes: heapBytes ?? 'n/a',
      serverOpenSockets: row.server.openSockets ?? 'n/a',
      boundBytes: row.server.rssPerConnectionBytesBound ?? 'none',
      ...(bareLibrary
        ? {
            bareLibraryServerBytes: bareLibrary.held.serverBytes,
            bareLibraryServerHeapBytes: bareLibrary.held.serverHeapBytes,
            bareLibraryServerRatio: ratioOf(bareLibrary.held.serverBytes, floorBytes) ?? 'n/a',
          }
        : {}),
    },
    explain: {
      why: joined(
        memoryWhy(measured, floorBytes * goal, row.server.rssPerConnectionBytesBound, heapBytes),
        bareLibrary && libraryWhy(bareLibrary.name, bareLibrary.held, floorBytes, { rssBytes: measured, heapBytes }),
      ),
      profile: `node --expose-gc bench/micro/serverHeapDiff.mjs ${model} ${connections} --owners`,
      docs: 'Server memory per idle connection: what each model keeps',
    },
  });
}

/**
 * How far a memory figure is from its goal, over or under, against its own uncertainty, and how
 * much of it is V8 heap; undefined when it was not measured.
 */
export function memoryWhy(
  measured: number | null | undefined,
  goalBytes: number,
  boundBytes: number | null | undefined,
  heapBytes?: number | null,
): string | undefined {
  if (measured === null || measured === undefined) return undefined;
  const distance = Math.abs(measured - goalBytes);
  const where = distance === 0 ? 'at the goal' : `${bytes(distance)} ${measured > goalBytes ? 'over' : 'under'} the goal`;
  const heap = heapBytes === null || heapBytes === undefined ? '' : `the V8 heap holds ${bytes(heapBytes)} of its ${bytes(measured)}; `;
  if (boundBytes === null || boundBytes === undefined) return `${heap}${where}`;
  // Within the bound, the verdict (met or missed) could go the other way in another run.
  return `${heap}${where}, ${boundBytes >= distance ? 'within' : 'beyond'} the figure's own bound of ${bytes(boundBytes)}`;
}

/**
 * What the library alone costs, against the bare net server, and what the reference server holds
 * beyond it (RSS, and the steadier heap): the part of a miss connbench could cut, and the part any
 * server on that library pays.
 */
export function libraryWhy(
  name: string,
  peer: { serverBytes: number; serverHeapBytes: number },
  floorBytes: number,
  measured: { rssBytes: number | null | undefined; heapBytes: number | null | undefined },
): string {
  const ratio = ratioOf(peer.serverBytes, floorBytes);
  const alone =
    `a bare ${name} (the library alone, nothing of connbench) holds ${bytes(peer.serverBytes)} a connection ` +
    `(${bytes(peer.serverHeapBytes)} of it heap), ${ratio === undefined ? 'and the bare net server held nothing to compare' : `${ratio} × the bare net server`}`;
  const { rssBytes, heapBytes } = measured;
  if (rssBytes === null || rssBytes === undefined) return alone;
  const heap = heapBytes === null || heapBytes === undefined ? '' : ` and ${moreOrLess(heapBytes - peer.serverHeapBytes)} heap`;
  return `${alone}; the reference server holds ${moreOrLess(rssBytes - peer.serverBytes)}${heap}`;
}

const moreOrLess = (diff: number) => `${bytes(Math.abs(diff))} ${diff >= 0 ? 'more' : 'less'}`;
/** measured / floor to three places, as a figure's ratio; undefined without a floor to divide by. */
const ratioOf = (measured: number, floor: number) => (floor > 0 ? Math.round((measured / floor) * 1000) / 1000 : undefined);
const joined = (...parts: (string | undefined)[]) => parts.filter((p) => p !== undefined).join('; ') || undefined;
const bytes = (n: number) => `${formatInt(n)} B`;

function rowDetails(row: ModelResult): Figure['details'] {
  return {
    status: row.status,
    connected: row.clients.connected,
    target: row.clients.target,
    lost: row.messages.lost,
    workers: row.client.workers,
    ...(row.error ? { error: `${row.error.code}: ${row.error.message}` } : {}),
  };
}

/** One SSE client kind, `connections` of them in a probe process against a reference server. */
async function sseClientAlone(connections: number, kind: SseKind): Promise<FromSseClients> {
  const s = benchScenario({ models: ['sse'], clients: connections, heartbeat: QUIET_HEARTBEAT });
  const server = await BenchServer.start(s, 'sse');
  const probe = probeChild<ToSseClients, FromSseClients>('sseClients', `${kind} SSE clients`);
  try {
    return (await probe.request(
      { type: 'measure', port: server.ports.http!, count: connections, kind },
      'measured',
      60_000 + connections * 10,
      'connect its clients',
    )) as FromSseClients;
  } finally {
    await Promise.all([probe.stop({ type: 'stop' }), server.stop()]);
  }
}

/**
 * Bytes per connection of the bare library server of `kind` (floors/libServer.js), each connection
 * opened by a bare client with the request connbench's client sends, sampled as the floor is.
 */
export function libServerMemory(kind: LibServerKind, connections: number): Promise<HeldBytes> {
  return heldPerConnection(new LibServerFloor(kind), connections);
}

/**
 * Bytes per connection of a bare net server and client, sampled as the runner samples its
 * processes; with `tls`, of a bare `tls` server and client (that certificate, key and CA).
 */
export function netFloorMemory(connections: number, tls?: Certificates): Promise<HeldBytes> {
  return heldPerConnection(new NetFloor(tls), connections);
}

interface HeldBytes {
  serverBytes: number;
  serverHeapBytes: number;
  clientBytes: number;
}

/** Forced GC, connect, settle, forced GC: the difference per connection; the floor's processes end with it. */
async function heldPerConnection(floor: HeldSockets<ToNetServer | ToLibServer>, connections: number): Promise<HeldBytes> {
  try {
    await floor.listen();
    const base = await floor.sample(true);
    await floor.connect(connections);
    await sleep(SETTLE_MS);
    const held = await floor.sample(true);
    // A connection let go before the sample (a poll answered, a stream cut) would be weighed as held.
    if (held.server.sockets < connections)
      throw new Error(`the ${floor.name} held ${held.server.sockets} of ${connections} connections when sampled`);
    const per = (after: number, before: number) => Math.round((after - before) / connections);
    return {
      serverBytes: per(held.server.rssBytes, base.server.rssBytes),
      serverHeapBytes: per(held.server.heapUsedBytes, base.server.heapUsedBytes),
      clientBytes: per(held.client.rssBytes, base.client.rssBytes),
    };
  } finally {
    await floor.stop();
  }
}
