import { inputError, runError } from '../util/errors.js';
import type { Scenario } from '../scenario/schema.js';
import { getModel } from '../models/index.js';
import { CONNECTIONS_PER_CLIENT, clientsOfShard } from '../topology/topology.js';
import { formatBytes } from '../util/units.js';
import { BYTES_PER_PROCESS, peakBytesPerConnection, serverLogBytes } from './memoryPerConnection.js';
import { secondConnectionOf, socketsPerClient } from '../topology/topology.js';
import { ephemeralPortProblem } from './portBudget.js';

/** Sockets one process may hold: the 20000-file hard limit less room for pipes, files and listeners. */
export const SOCKETS_PER_PROCESS = 18_000;
/** Ephemeral ports 32768-60999 give about this many connections per destination address and port. */
export const PORTS_PER_DESTINATION = 28_000;
/**
 * Connections per source address the plan aims at, well below the hard limit above: a socket bound
 * to 127.0.0.2 gets its port at bind(), and past about 7,000 sockets on one address the kernel scans
 * the port range for each one, which made a 50,000-client ramp spend minutes in the kernel (the
 * figures: docs/scale.md, The limits, and what gets past each). Loopback addresses cost nothing.
 */
export const FAST_CONNECTIONS_PER_ADDRESS = 6_000;
/**
 * Clients per worker by default. Splitting further does not help on 2 cores: broadcast makes
 * every worker busy at the same instant as the server (measured: 1000 long-poll clients in two
 * workers showed more event-loop delay than in one).
 */
export const DEFAULT_CLIENTS_PER_WORKER = 5_000;

export interface Slice {
  workerIndex: number;
  firstClientId: number;
  count: number;
  /** Absent: 1 (src/topology/topology.ts, ClientRange). */
  stride?: number;
}

export interface RunPlan {
  workers: number;
  slices: Slice[];
  sourceAddresses: string[];
}

export interface Limits {
  /** RLIMIT_NOFILE of this process (children inherit it). */
  openFilesLimit: number;
  /** Ephemeral ports one source address has towards one destination; default PORTS_PER_DESTINATION. */
  portsPerDestination?: number;
  /** Memory the run may use (MemAvailable); absent = not checked. */
  availableMemoryBytes?: number;
}

/** Share of the available memory a run may plan to use at its peak: the rest is the machine's headroom. */
export const MEMORY_HEADROOM = 0.8;

/** Descriptors each process keeps for things other than client sockets: pipes, IPC, files, listeners. */
export const RESERVED_FDS = 200;

/** Sockets one process may hold under an open-files limit: the limit less RESERVED_FDS, at most SOCKETS_PER_PROCESS. */
function socketsPerProcessOf(openFilesLimit: number): number {
  return Math.max(0, Math.min(SOCKETS_PER_PROCESS, openFilesLimit - RESERVED_FDS));
}
/** Loopback source addresses the plan may use: 127.0.0.1 … 127.0.0.254. */
export const MAX_SOURCE_ADDRESSES = 254;

/** One reason a point cannot run here: what is short, by how much, and what would fix it. */
interface Shortfall {
  what: string;
  remedies: string[];
  /** Set for memory; the rest are socket limits. */
  memory?: true;
  /** Set for ports in TIME_WAIT (connections opened per poll). */
  timeWait?: true;
}

/**
 * Where a plan runs. `machine`: the server and every client here (`connbench run`). `shard`: the
 * clients c with c mod count = index, against a server on another host (`run --target --shard`).
 * `server`: only the server processes (`serve --control`, before it starts a model run).
 */
export type PlanSide = { kind: 'machine' } | { kind: 'shard'; index: number; count: number } | { kind: 'server' };

const MACHINE: PlanSide = { kind: 'machine' };

/** What every check of a plan reads: the limits per process and how clients are counted. */
interface Capacity {
  s: Scenario;
  limits: Limits;
  socketsPerProcess: number;
  /** Sockets per client. */
  k: number;
  /** "1000 clients", with why each holds two sockets when it does. */
  clientsText: (clients: number) => string;
  perProcess: string;
  raiseLimit: (need: number) => string[];
  /** The most clients `processes` processes hold. */
  fit: (processes: number) => number;
}

function capacityOf(s: Scenario, limits: Limits): Capacity {
  const socketsPerProcess = socketsPerProcessOf(limits.openFilesLimit);
  const k = socketsPerClient(s);
  return {
    s,
    limits,
    socketsPerProcess,
    k,
    clientsText: (n) => (k === 1 ? `${n} clients` : `${n} clients (${k} sockets each: ${secondConnectionOf(s)})`),
    perProcess: `one process may hold about ${socketsPerProcess} sockets (open-files limit ${limits.openFilesLimit}, less ${RESERVED_FDS} for pipes and files, at most ${SOCKETS_PER_PROCESS})`,
    // Raising the soft limit helps only up to the machine's cap on sockets per process.
    raiseLimit:
      socketsPerProcess < SOCKETS_PER_PROCESS
        ? (need) => [`raise the open-files limit (ulimit -n) to at least ${Math.min(need, SOCKETS_PER_PROCESS) + RESERVED_FDS}`]
        : () => [],
    fit: (processes) => Math.floor((socketsPerProcess * processes) / k),
  };
}

/**
 * How many worker processes and source addresses a point of the scenario needs, or a run error
 * (exit 3) naming every limit it passes at once (sockets per server process and per worker, ports
 * per source address, memory at the peak), with the arithmetic and the settings that would fit:
 * more server processes or workers, more source addresses, fewer clients or models, a higher
 * open-files limit. Chat over several server processes is refused as bad input (exit 2). A shard
 * checks only its own clients' side, the server only its own (`side`). Pure.
 */
export function planRun(s: Scenario, limits: Limits, side: PlanSide = MACHINE): RunPlan {
  refuseChatOverProcesses(s);
  if (side.kind === 'shard') refuseFaultsInShard(s);
  if (side.kind !== 'machine') refuseNetworkAcrossHosts(s);
  const c = capacityOf(s, limits);
  const own = side.kind === 'shard' ? clientsOfShard(s.clients, side.index, side.count) : s.clients;
  const workers = side.kind === 'server' ? 0 : workersFor(c, own).workers;
  const ports = limits.portsPerDestination ?? PORTS_PER_DESTINATION;
  const shortfalls: Shortfall[] = [
    ...(side.kind === 'shard' ? [] : serverShortfalls(c)),
    ...(side.kind === 'server' ? [] : workerShortfalls(c, own)),
    ...(side.kind === 'machine' ? addressShortfalls(c, ports) : []),
    ...(side.kind === 'shard' ? shardPortShortfalls(c, own, ports) : []),
    ...memoryShortfalls(c, own, side),
    ...(side.kind === 'server' ? [] : timeWaitShortfalls(c, own, side, ports)),
  ];
  // A latency fault's proxy runs in the runner's process: refused here, before any process starts.
  const faultProblem = side.kind === 'machine' ? faultLimitProblem(s, limits.openFilesLimit, ports) : undefined;
  if (faultProblem) shortfalls.push({ what: faultProblem.what, remedies: [faultProblem.remedy] });
  if (shortfalls.length > 0) {
    throw runError(
      shortfalls.every((f) => f.memory)
        ? 'CB_ERR_NOT_ENOUGH_MEMORY'
        : shortfalls.every((f) => f.timeWait)
          ? 'CB_ERR_EPHEMERAL_PORTS'
          : 'CB_ERR_TOO_MANY_SOCKETS',
      `${side.kind === 'server' ? 'this server' : 'this machine'} cannot hold the run: ${shortfalls.map((f) => f.what).join('; ')}`,
      [...new Set(shortfalls.flatMap((f) => f.remedies))].join('; or '),
    );
  }
  if (side.kind === 'shard') {
    // One address per host: the kernel picks it, and ports are counted per server port above.
    return { workers, slices: slicesOf(own, workers, side.index, side.count), sourceAddresses: [] };
  }
  return { workers, slices: slicesOf(own, workers, 0, 1), sourceAddresses: sourceAddressesOf(c, ports) };
}

function refuseChatOverProcesses(s: Scenario): void {
  if (s.workload.pattern === 'chat' && s.server.processes > 1) {
    // Each server process has its own log: a send reaching one would never reach the readers of the others.
    throw inputError(
      'CB_ERR_SCENARIO_INVALID',
      `server.processes is ${s.server.processes}, but the chat pattern needs one server process: a send reaches only the process its sender is connected to, and connbench has no relay between server processes`,
      'set server.processes to 1 for chat (broadcast and idle scale over several processes)',
    );
  }
}

function refuseFaultsInShard(s: Scenario): void {
  if (s.faults.length === 0) return;
  // A fault stops, resets or restarts the server processes: only the runner that started them can.
  throw inputError(
    'CB_ERR_SCENARIO_INVALID',
    `the scenario has faults (${s.faults.map((f) => f.fault).join(', ')}), but with --target the server runs on another host and no shard may stop, reset or restart it`,
    'run scenarios with faults without --target, on one machine',
  );
}

/**
 * TLS needs the run's certificates on both sides, and an intermediary (or a via) stands in front of
 * servers on this host: neither reaches a server on another host, so neither is silently dropped.
 */
function refuseNetworkAcrossHosts(s: Scenario): void {
  const asked = [
    ...(s.tls.enabled ? ['TLS (tls.enabled)'] : []),
    ...(s.intermediary.proxy !== 'none' ? [`an intermediary (intermediary.proxy ${s.intermediary.proxy})`] : []),
    ...(s.intermediary.via !== null ? ['your own intermediary (intermediary.via)'] : []),
  ];
  if (asked.length === 0) return;
  throw inputError(
    'CB_ERR_SCENARIO_INVALID',
    `the scenario asks for ${asked.join(' and ')}, but with --target the server runs on another host, whose server processes speak plain TCP and have nothing in front of them`,
    'run TLS and intermediaries without --target, on one machine (drop --tls, --intermediary and --via, or set tls.enabled off and intermediary none)',
  );
}

/** The server holds every client's sockets. */
function serverShortfalls(c: Capacity): Shortfall[] {
  const { s, k, socketsPerProcess } = c;
  const serverSockets = Math.ceil((s.clients * k) / s.server.processes);
  if (serverSockets <= socketsPerProcess) return [];
  const fitServers = socketsPerProcess >= k ? Math.ceil((s.clients * k) / socketsPerProcess) : Infinity;
  return [
    {
      what: `${c.clientsText(s.clients)} need ${serverSockets} sockets in ${s.server.processes === 1 ? 'the server process' : `each of ${s.server.processes} server processes`}, but ${c.perProcess}`,
      remedies: [
        ...(Number.isFinite(fitServers) && s.workload.pattern !== 'chat' ? [`set server.processes to ${fitServers} or more`] : []),
        `use at most ${c.fit(s.server.processes)} clients`,
        ...c.raiseLimit(serverSockets),
      ],
    },
  ];
}

/** Workers: as many as asked, or by default enough that none passes its share of the limit. */
function workersFor(c: Capacity, clients: number): { fitting: number; workers: number } {
  const fitting = c.socketsPerProcess >= c.k ? Math.ceil(clients / c.fit(1)) : Infinity;
  const workers = c.s.client.workers || Math.max(Math.ceil(clients / DEFAULT_CLIENTS_PER_WORKER), Math.min(fitting, clients));
  return { fitting, workers: Math.max(1, workers) };
}

function workerShortfalls(c: Capacity, clients: number): Shortfall[] {
  const { fitting, workers } = workersFor(c, clients);
  const perWorker = Math.ceil(clients / workers) * c.k;
  if (perWorker <= c.socketsPerProcess) return [];
  return [
    {
      what: `${c.clientsText(clients)} over ${workers} client worker(s) is ${perWorker} sockets per worker, but ${c.perProcess}`,
      remedies: [
        ...(Number.isFinite(fitting) ? [`set client.workers to ${fitting} or more (0 chooses for you)`] : []),
        `use at most ${c.fit(workers)} clients`,
        ...c.raiseLimit(perWorker),
      ],
    },
  ];
}

/**
 * Each source address gives about `ports` connections, counted over every server port together:
 * a socket bound to 127.0.0.2 takes its port at bind(), before the kernel knows the destination.
 */
function addressShortfalls(c: Capacity, ports: number): Shortfall[] {
  const neededAddresses = Math.ceil((c.s.clients * c.k) / ports);
  if (neededAddresses <= MAX_SOURCE_ADDRESSES) return [];
  return [
    {
      what: `${c.clientsText(c.s.clients)} need ${neededAddresses} loopback source addresses at about ${ports} ephemeral ports each, but at most ${MAX_SOURCE_ADDRESSES} are used`,
      remedies: [`use at most ${Math.floor((ports * MAX_SOURCE_ADDRESSES) / c.k)} clients`],
    },
  ];
}

/**
 * A shard's host has one address, and an unbound connect shares its ephemeral ports between
 * destinations: `ports` connections to each server process's port.
 */
function shardPortShortfalls(c: Capacity, clients: number, ports: number): Shortfall[] {
  const perServerPort = Math.ceil((clients * c.k) / c.s.server.processes);
  if (perServerPort <= ports) return [];
  return [
    {
      what: `${c.clientsText(clients)} of this shard make ${perServerPort} connections to each server port, but one host has about ${ports} ephemeral ports per destination`,
      remedies: [
        `run more shards (at most ${Math.floor((ports * c.s.server.processes) / c.k)} clients each)`,
        'set server.processes higher (each listens on its own port)',
        'widen net.ipv4.ip_local_port_range on the client hosts',
      ],
    },
  ];
}

/** Memory at the peak: every connection at the dearest model's cost on this side, and every process's own. */
function memoryShortfalls(c: Capacity, clients: number, side: PlanSide): Shortfall[] {
  const { s, limits, k } = c;
  if (limits.availableMemoryBytes === undefined) return [];
  const budget = Math.floor(limits.availableMemoryBytes * MEMORY_HEADROOM);
  const part = side.kind === 'machine' ? 'both' : side.kind === 'shard' ? 'client' : 'server';
  const servers = side.kind === 'shard' ? 0 : s.server.processes;
  const dearest = s.models.map((id) => ({ id, bytes: peakBytesPerConnection(id, s, part) })).reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const workersOf = (n: number) => (side.kind === 'server' ? 0 : workersFor(c, n).workers);
  const logBytes = servers > 0 ? serverLogBytes(s) : 0;
  const needOf = (bytes: number, n = clients) => n * k * bytes + (workersOf(n) + servers) * BYTES_PER_PROCESS + servers * logBytes;
  const needBytes = needOf(dearest.bytes);
  if (needBytes <= budget) return [];
  // Fewer clients need fewer workers too: the largest count whose own need fits.
  let lo = 0;
  let hi = clients;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (needOf(dearest.bytes, mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  const fitting = s.models.filter((id) => needOf(peakBytesPerConnection(id, s, part)) <= budget);
  const forWhat = {
    both: 'for server, client, kernel',
    client: 'for the clients, their kernel',
    server: 'for the server, its kernel',
  }[part];
  const logs = logBytes > 0 ? `, + ${servers} message log${servers === 1 ? '' : 's'} × ${formatBytes(logBytes)}` : '';
  return [
    {
      what: `${c.clientsText(clients)} of ${dearest.id} need about ${formatBytes(needBytes)} at their peak (${clients * k} connections × ${formatBytes(dearest.bytes)} ${forWhat} and ${formatBytes(s.workload.payloadBytes)} messages, + ${workersOf(clients) + servers} processes × ${formatBytes(BYTES_PER_PROCESS)}${logs}), but ${Math.round(MEMORY_HEADROOM * 100)} % of the ${formatBytes(limits.availableMemoryBytes)} available is ${formatBytes(budget)}`,
      remedies: [
        `use at most ${lo} clients${side.kind === 'shard' ? ' in this shard (more shards)' : ''}`,
        ...(fitting.length > 0 ? [`run only ${fitting.join(', ')}`] : []),
        'free memory on this machine',
      ],
      memory: true,
    },
  ];
}

/**
 * Connections opened per poll (HTTP keep-alive off): their TIME_WAIT must not use up the ports of
 * the source addresses the plan uses, or, on a shard's host, the ports towards each server port.
 */
function timeWaitShortfalls(c: Capacity, clients: number, side: PlanSide, ports: number): Shortfall[] {
  const problem =
    side.kind === 'shard'
      ? ephemeralPortProblem(c.s, { clients, addresses: c.s.server.processes, portsPerAddress: ports, socketsPerClient: c.k, shard: true })
      : ephemeralPortProblem(c.s, {
          clients,
          addresses: sourceAddressesOf(c, ports).length,
          portsPerAddress: ports,
          socketsPerClient: c.k,
        });
  return problem ? [{ ...problem, timeWait: true }] : [];
}

/** As many as keep binds fast, or more when the scenario asks for them (client.sourceAddresses). */
function sourceAddressesOf(c: Capacity, ports: number): string[] {
  const needed = Math.ceil((c.s.clients * c.k) / ports);
  const fast = Math.ceil((c.s.clients * c.k) / Math.min(ports, FAST_CONNECTIONS_PER_ADDRESS));
  const addresses = Math.min(MAX_SOURCE_ADDRESSES, Math.max(c.s.client.sourceAddresses, needed, fast));
  return Array.from({ length: addresses }, (_, i) => `127.0.0.${i + 1}`);
}

/**
 * The clients of a shard (index of count; the whole machine is shard 0 of 1) dealt to `workers`
 * in runs of consecutive ids of that shard: worker w gets ids first, first + count, …
 */
function slicesOf(clients: number, workers: number, index: number, count: number): Slice[] {
  const slices: Slice[] = [];
  let k = 0;
  for (let w = 0; w < workers; w++) {
    const n = Math.floor(clients / workers) + (w < clients % workers ? 1 : 0);
    slices.push({ workerIndex: w, firstClientId: index + k * count, count: n, ...(count > 1 ? { stride: count } : {}) });
    k += n;
  }
  return slices;
}

/**
 * Whether the fault proxy of a latency fault fits: it runs in the runner's process with two sockets
 * per proxied connection, and connects to each server port from 127.0.0.1 only. Undefined = fits;
 * else what is short, with the numbers, and what would fit. Pure.
 */
export function faultLimitProblem(
  s: Scenario,
  openFilesLimit: number,
  portsPerDestination = PORTS_PER_DESTINATION,
): { what: string; remedy: string } | undefined {
  if (!s.faults.some((f) => f.fault === 'latency')) return undefined;
  const connections = s.clients * socketsPerClient(s);
  const socketsPerProcess = socketsPerProcessOf(openFilesLimit);
  const perServerPort = Math.ceil(connections / s.server.processes);
  const fitBySockets = Math.floor(socketsPerProcess / 2);
  const fitByPorts = portsPerDestination * s.server.processes;
  if (2 * connections <= socketsPerProcess && perServerPort <= portsPerDestination) return undefined;
  const what =
    2 * connections > socketsPerProcess
      ? `a latency fault puts a proxy in the runner's process: ${connections} connections need ${2 * connections} sockets there, but it may hold about ${socketsPerProcess}`
      : `a latency fault's proxy connects to each server port from 127.0.0.1 only: ${perServerPort} connections per port, but about ${portsPerDestination} ephemeral ports are free`;
  return {
    what,
    remedy: `use at most ${Math.min(fitBySockets, fitByPorts)} connections (clients × sockets per client) with a latency fault, or drop the latency fault`,
  };
}
