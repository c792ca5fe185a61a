/**
 * Where each client goes, agreed by the runner (which plans the run) and the workers (which connect
 * the clients) without asking each other: which server process, which source address, and how
 * many sockets a client holds. Pure.
 */
import type { Scenario } from '../scenario/schema.js';
import { getModel } from '../models/index.js';
import { optionsOf } from '../scenario/modelOptions.js';

/** Connections a simulated HTTP client may hold at most: its poll or stream, and one for chat sends. */
export const CONNECTIONS_PER_CLIENT = 2;

/**
 * Which server process client `clientId` connects to. Every server process listens on its own
 * ports and the clients are dealt out round-robin, so each holds the same share (see
 * src/runner/serverGroup.ts for why not one shared listener). Pure; worker and runner agree on it.
 */
export function serverIndexOf(clientId: number, serverProcesses: number): number {
  return clientId % serverProcesses;
}

/**
 * Which source address client `clientId` binds. Dealt out independently of its server
 * (clients of one server take every address in turn), so each source address × server port pair
 * holds clients / (addresses × servers) of the connections. No addresses (a shard on another host,
 * which has one address of its own): undefined, the kernel's choice.
 */
export function sourceAddressOf(clientId: number, serverProcesses: number, addresses: string[]): string | undefined {
  return addresses.length === 0 ? undefined : addresses[Math.floor(clientId / serverProcesses) % addresses.length]!;
}

/**
 * The clients of one worker: ids firstClientId, firstClientId + stride, … (count of them). On one
 * machine a worker's clients are consecutive (stride 1); with `run --shard i/n` client c belongs
 * to shard c mod n, so a shard's workers step by n and the shards together run every client once.
 */
export interface ClientRange {
  firstClientId: number;
  count: number;
  /** Absent: 1. */
  stride?: number;
}

/** The id of the k-th client (0-based) of a range. Pure. */
export function clientIdOf(r: Pick<ClientRange, 'firstClientId' | 'stride'>, k: number): number {
  return r.firstClientId + k * (r.stride ?? 1);
}

/** How many of `clients` clients shard `index` of `count` runs: those with id ≡ index (mod count). Pure. */
export function clientsOfShard(clients: number, index: number, count: number): number {
  return index < clients ? Math.floor((clients - 1 - index) / count) + 1 : 0;
}

/**
 * Sockets one client may hold at once, at both ends: an HTTP client sends chat on a second
 * connection while its poll or stream holds the first, and so does an SSE client its heartbeat echo.
 */
export function socketsPerClient(s: Scenario): number {
  return secondConnectionOf(s) ? CONNECTIONS_PER_CLIENT : 1;
}

/** Why a client opens a second connection, if it does in any model of the scenario. */
export function secondConnectionOf(s: Scenario): string | undefined {
  for (const id of s.models) {
    const model = getModel(id);
    const why = model.secondConnection(optionsOf(model, s), s.workload);
    if (why) return why;
  }
  return undefined;
}
