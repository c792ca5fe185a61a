import type { Scenario } from '../scenario/schema.js';
import { PORTS_PER_DESTINATION, RESERVED_FDS, SOCKETS_PER_PROCESS, socketsPerClient } from './plan.js';

/**
 * Whether the fault proxy of a latency fault fits: it runs in the runner's process with two sockets
 * per proxied connection, and connects to each server port from 127.0.0.1 only. Undefined = fits;
 * else what is short, with the numbers, and what would fit. Pure.
 */
export function faultLimitProblem(s: Scenario, openFilesLimit: number, portsPerDestination = PORTS_PER_DESTINATION): { what: string; remedy: string } | undefined {
  if (!s.faults.some((f) => f.fault === 'latency')) return undefined;
  const connections = s.clients * socketsPerClient(s);
  const socketsPerProcess = Math.max(0, Math.min(SOCKETS_PER_PROCESS, openFilesLimit - RESERVED_FDS));
  const perServerPort = Math.ceil(connections / s.server.processes);
  const fitBySockets = Math.floor(socketsPerProcess / 2);
  const fitByPorts = portsPerDestination * s.server.processes;
  if (2 * connections <= socketsPerProcess && perServerPort <= portsPerDestination) return undefined;
  const what =
    2 * connections > socketsPerProcess
      ? `a latency fault puts a proxy in the runner's process: ${connections} connections need ${2 * connections} sockets there, but it may hold about ${socketsPerProcess}`
      : `a latency fault's proxy connects to each server port from 127.0.0.1 only: ${perServerPort} connections per port, but about ${portsPerDestination} ephemeral ports are free`;
  return { what, remedy: `use at most ${Math.min(fitBySockets, fitByPorts)} connections (clients × sockets per client) with a latency fault, or drop the latency fault` };
}
