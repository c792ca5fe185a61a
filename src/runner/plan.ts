import { inputError } from '../util/errors.js';
import type { Scenario } from '../scenario/schema.js';

/** Sockets one process may hold: the 20000-file hard limit less room for pipes, files and listeners. */
export const SOCKETS_PER_PROCESS = 18_000;
/** Ephemeral ports 32768-60999 give about this many connections per destination address and port. */
export const PORTS_PER_DESTINATION = 28_000;
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
}

/**
 * How many worker processes and source addresses a point of the scenario needs, or an input error
 * with the arithmetic and the settings that would fit. Pure.
 */
export function planRun(s: Scenario, limits: Limits): RunPlan {
  const socketsPerProcess = Math.min(SOCKETS_PER_PROCESS, limits.openFilesLimit - 200);
  const serverSockets = Math.ceil(s.clients / s.server.processes);
  if (serverSockets > socketsPerProcess) {
    const need = Math.ceil(s.clients / socketsPerProcess);
    throw inputError(
      'CB_ERR_TOO_MANY_SOCKETS',
      `${s.clients} clients need ${serverSockets} sockets in each of ${s.server.processes} server process(es), but one process may hold about ${socketsPerProcess} (open-files limit ${limits.openFilesLimit})`,
      `set server.processes to ${need} or more, or use at most ${socketsPerProcess * s.server.processes} clients`,
    );
  }
  const workers = s.client.workers || Math.ceil(s.clients / DEFAULT_CLIENTS_PER_WORKER);
  if (Math.ceil(s.clients / workers) > socketsPerProcess) {
    throw inputError(
      'CB_ERR_TOO_MANY_SOCKETS',
      `${s.clients} clients over ${workers} worker(s) is ${Math.ceil(s.clients / workers)} sockets per worker, above about ${socketsPerProcess} per process`,
      `set client.workers to ${Math.ceil(s.clients / socketsPerProcess)} or more (0 chooses for you)`,
    );
  }
  // Each destination (server address and port) gives about 28k source ports per source address.
  const addresses = Math.max(s.client.sourceAddresses, Math.ceil(s.clients / PORTS_PER_DESTINATION));
  if (addresses > 250) {
    throw inputError('CB_ERR_TOO_MANY_SOCKETS', `${s.clients} clients would need ${addresses} loopback source addresses`, 'use fewer clients');
  }
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
