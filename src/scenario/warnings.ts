import type { Scenario } from './schema.js';
import { formatInt } from '../util/units.js';

/**
 * Deliveries per second, per CPU core, that connbench's generator and reference server together
 * keep up with: docs/benchmarks.md measured 440,929 websocket deliveries/s on 2 cores.
 */
export const DELIVERIES_PER_SEC_PER_CORE = 200_000;

/** client.busyPoll is for latency runs with a few clients: past this many, its cost is likely to show. */
export const BUSY_POLL_FEW_CLIENTS = 100;

/**
 * What a point asks of this machine beyond what connbench was measured to deliver: not refused
 * (a faster machine may carry it), but said before the run, so a client-bound row is no surprise.
 * `validate` and `run` print the same lines. Pure.
 */
export function loadWarnings(s: Scenario, cpus: number): string[] {
  const out: string[] = [];
  const at = Object.entries(s.matrix).length
    ? ` at ${Object.entries(s.matrix)
        .map(([k, v]) => `${k} = ${v}`)
        .join(', ')}`
    : '';
  const w = s.workload;
  const deliveries =
    w.pattern === 'broadcast' ? w.ratePerSec * s.clients : w.pattern === 'chat' ? w.ratePerSec * s.clients * w.roomSize : 0;
  const canDeliver = DELIVERIES_PER_SEC_PER_CORE * cpus;
  if (deliveries > canDeliver)
    out.push(
      `${s.name}${at}: workload.rate × clients asks for ${formatInt(deliveries)} deliveries/s per model, more than the ~${formatInt(canDeliver)}/s connbench delivers on ${cpus} cores (docs/benchmarks.md): expect client-bound rows, whose figures describe the generator`,
    );
  if (s.client.busyPoll && (s.clients > BUSY_POLL_FEW_CLIENTS || s.client.workers >= cpus))
    out.push(
      `${s.name}${at}: client.busyPoll makes every client worker spin a core while messages flow; with ${formatInt(s.clients)} clients${s.client.workers > 0 ? ` in ${s.client.workers} workers` : ''} on ${cpus} cores the polling competes with the server and the clients' own work. It is meant for latency runs with a few clients`,
    );
  return out;
}
