import { inputError, runError } from '../util/errors.js';
import type { Scenario } from '../scenario/schema.js';
import { getModel } from '../models/index.js';
import { CONNECTIONS_PER_CLIENT } from '../topology/topology.js';
import { formatBytes } from '../util/units.js';
import { BYTES_PER_PROCESS, peakBytesPerConnection } from './memoryPerConnection.js';
import { secondConnectionOf, socketsPerClient } from '../topology/topology.js';

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
}

/**
 * How many worker processes and source addresses a point of the scenario needs, or a run error
 * (exit 3) naming every limit it passes at once (sockets per server process and per worker, ports
 * per source address, memory at the peak), with the arithmetic and the settings that would fit:
 * more server processes or workers, more source addresses, fewer clients or models, a higher
 * open-files limit. Chat over several server processes is refused as bad input (exit 2). Pure.
 */
export function planRun(s: Scenario, limits: Limits): RunPlan {
  if (s.workload.pattern === 'chat' && s.server.processes > 1) {
    // Each server process has its own log: a send reaching one would never reach the readers of the others.
    throw inputError(
      'CB_ERR_SCENARIO_INVALID',
      `server.processes is ${s.server.processes}, but the chat pattern needs one server process: a send reaches only the process its sender is connected to, and connbench has no relay between server processes`,
      'set server.processes to 1 for chat (broadcast and idle scale over several processes)',
    );
  }
  const socketsPerProcess = socketsPerProcessOf(limits.openFilesLimit);
  // Raising the soft limit helps only up to the machine's cap on sockets per process.
  const raiseLimit =
    socketsPerProcess < SOCKETS_PER_PROCESS
      ? (need: number) => [`raise the open-files limit (ulimit -n) to at least ${Math.min(need, SOCKETS_PER_PROCESS) + RESERVED_FDS}`]
      : () => [];
  const perProcess = `one process may hold about ${socketsPerProcess} sockets (open-files limit ${limits.openFilesLimit}, less ${RESERVED_FDS} for pipes and files, at most ${SOCKETS_PER_PROCESS})`;
  const shortfalls: Shortfall[] = [];
  const k = socketsPerClient(s);
  const clients = k === 1 ? `${s.clients} clients` : `${s.clients} clients (${k} sockets each: ${secondConnectionOf(s)})`;
  /** The most clients `processes` processes of `socketsPerProcess` sockets hold. */
  const fit = (processes: number) => Math.floor((socketsPerProcess * processes) / k);

  // The server holds every client's sockets.
  const serverSockets = Math.ceil((s.clients * k) / s.server.processes);
  if (serverSockets > socketsPerProcess) {
    const fitServers = socketsPerProcess >= k ? Math.ceil((s.clients * k) / socketsPerProcess) : Infinity;
    shortfalls.push({
      what: `${clients} need ${serverSockets} sockets in ${s.server.processes === 1 ? 'the server process' : `each of ${s.server.processes} server processes`}, but ${perProcess}`,
      remedies: [
        ...(Number.isFinite(fitServers) && s.workload.pattern !== 'chat' ? [`set server.processes to ${fitServers} or more`] : []),
        `use at most ${fit(s.server.processes)} clients`,
        ...raiseLimit(serverSockets),
      ],
    });
  }

  // Workers: as many as asked, or by default enough that none passes its share of the limit.
  const workersFor = (clients: number) => {
    const fitting = socketsPerProcess >= k ? Math.ceil(clients / fit(1)) : Infinity;
    return { fitting, workers: s.client.workers || Math.max(Math.ceil(clients / DEFAULT_CLIENTS_PER_WORKER), Math.min(fitting, clients)) };
  };
  const { fitting: fitWorkers, workers } = workersFor(s.clients);
  const perWorker = Math.ceil(s.clients / workers) * k;
  if (perWorker > socketsPerProcess) {
    shortfalls.push({
      what: `${clients} over ${workers} client worker(s) is ${perWorker} sockets per worker, but ${perProcess}`,
      remedies: [
        ...(Number.isFinite(fitWorkers) ? [`set client.workers to ${fitWorkers} or more (0 chooses for you)`] : []),
        `use at most ${fit(workers)} clients`,
        ...raiseLimit(perWorker),
      ],
    });
  }

  // Each source address gives about `ports` connections, counted over every server port together:
  // a socket bound to 127.0.0.2 takes its port at bind(), before the kernel knows the destination.
  const ports = limits.portsPerDestination ?? PORTS_PER_DESTINATION;
  const neededAddresses = Math.ceil((s.clients * k) / ports);
  if (neededAddresses > MAX_SOURCE_ADDRESSES) {
    shortfalls.push({
      what: `${clients} need ${neededAddresses} loopback source addresses at about ${ports} ephemeral ports each, but at most ${MAX_SOURCE_ADDRESSES} are used`,
      remedies: [`use at most ${Math.floor((ports * MAX_SOURCE_ADDRESSES) / k)} clients`],
    });
  }

  // Memory at the peak: every connection at the dearest model's cost, and every process's own.
  if (limits.availableMemoryBytes !== undefined) {
    const budget = Math.floor(limits.availableMemoryBytes * MEMORY_HEADROOM);
    const dearest = s.models.map((id) => ({ id, bytes: peakBytesPerConnection(id, s) })).reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const processes = workers + s.server.processes;
    const needOf = (bytes: number, clients = s.clients) =>
      clients * k * bytes + (workersFor(clients).workers + s.server.processes) * BYTES_PER_PROCESS;
    const needBytes = needOf(dearest.bytes);
    if (needBytes > budget) {
      // Fewer clients need fewer workers too: the largest count whose own need fits.
      let lo = 0;
      let hi = s.clients;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (needOf(dearest.bytes, mid) <= budget) lo = mid;
        else hi = mid - 1;
      }
      const fitClients = lo;
      const fitting = s.models.filter((id) => needOf(peakBytesPerConnection(id, s)) <= budget);
      shortfalls.push({
        what: `${clients} of ${dearest.id} need about ${formatBytes(needBytes)} at their peak (${s.clients * k} connections × ${formatBytes(dearest.bytes)} for server, client and kernel, + ${processes} processes × ${formatBytes(BYTES_PER_PROCESS)}), but ${Math.round(MEMORY_HEADROOM * 100)} % of the ${formatBytes(limits.availableMemoryBytes)} available is ${formatBytes(budget)}`,
        remedies: [
          `use at most ${fitClients} clients`,
          ...(fitting.length > 0 ? [`run only ${fitting.join(', ')}`] : []),
          'free memory on this machine',
        ],
        memory: true,
      });
    }
  }

  // A latency fault's proxy runs in the runner's process: refused here, before any process starts.
  const faultProblem = faultLimitProblem(s, limits.openFilesLimit, ports);
  if (faultProblem) shortfalls.push({ what: faultProblem.what, remedies: [faultProblem.remedy] });

  if (shortfalls.length > 0) {
    throw runError(
      shortfalls.every((f) => f.memory) ? 'CB_ERR_NOT_ENOUGH_MEMORY' : 'CB_ERR_TOO_MANY_SOCKETS',
      `this machine cannot hold the run: ${shortfalls.map((f) => f.what).join('; ')}`,
      [...new Set(shortfalls.flatMap((f) => f.remedies))].join('; or '),
    );
  }

  // As many as keep binds fast, or more when the scenario asks for them (client.sourceAddresses).
  const fastAddresses = Math.ceil((s.clients * k) / Math.min(ports, FAST_CONNECTIONS_PER_ADDRESS));
  const addresses = Math.min(MAX_SOURCE_ADDRESSES, Math.max(s.client.sourceAddresses, neededAddresses, fastAddresses));
  const sourceAddresses = Array.from({ length: addresses }, (_, i) => `127.0.0.${i + 1}`);
  const slices: Slice[] = [];
  let first = 0;
  for (let w = 0; w < workers; w++) {
    const count = Math.floor(s.clients / workers) + (w < s.clients % workers ? 1 : 0);
    slices.push({ workerIndex: w, firstClientId: first, count });
    first += count;
  }
  return { workers, slices, sourceAddresses };
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
