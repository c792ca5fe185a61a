import type { Scenario } from '../scenario/schema.js';
import { getModel } from '../models/index.js';
import { optionsOf } from '../scenario/modelOptions.js';

/** How long a closed connection's port stays in TIME_WAIT on Linux (TCP_TIMEWAIT_LEN, not tcp_fin_timeout). */
export const TIME_WAIT_MS = 60_000;

/**
 * Whether the connections a point opens per second fit the ephemeral ports of its source
 * addresses: a model that opens a connection per request (HTTP keep-alive off) leaves each closed
 * one in TIME_WAIT for 60 s, and a socket bound to a source address never takes a port in
 * TIME_WAIT again. The worst case is counted, the client closing first (a churn cut or a
 * reconnect makes it so; with `Connection: close` the server normally closes first): per address,
 * its open connections plus its clients × connections per second × min(window, 60 s) must fit the
 * ports. Undefined = fits; else the arithmetic and what would fit. Pure.
 */
export function ephemeralPortProblem(
  s: Scenario,
  o: { clients: number; addresses: number; portsPerAddress: number; socketsPerClient: number; shard?: boolean },
): { what: string; remedies: string[] } | undefined {
  const perClient = Math.max(
    0,
    ...s.models.map((id) => {
      const model = getModel(id);
      return model.newConnectionsPerSec(optionsOf(model, s), s.workload);
    }),
  );
  if (perClient <= 0) return undefined;
  const windowMs = s.rampUpMs + s.warmupMs + s.durationMs;
  const heldMs = Math.min(windowMs, TIME_WAIT_MS);
  const clientsPerAddress = Math.ceil(o.clients / o.addresses);
  const need = (clients: number) => Math.ceil(clients * o.socketsPerClient + clients * perClient * (heldMs / 1000));
  const needed = need(clientsPerAddress);
  if (needed <= o.portsPerAddress) return undefined;
  const fitPerAddress = Math.floor(o.portsPerAddress / (o.socketsPerClient + perClient * (heldMs / 1000)));
  const addressesNeeded = Math.ceil(o.clients / Math.max(1, fitPerAddress));
  const rate =
    perClient >= 1
      ? `up to ${round(perClient)} new connection${round(perClient) === 1 ? '' : 's'} a second`
      : `a new connection every ${round(1000 / perClient)} ms`;
  return {
    what: `with HTTP keep-alive off each client opens ${rate}, and each closed one holds its port for ${TIME_WAIT_MS / 1000} s in TIME_WAIT: ${clientsPerAddress} clients ${o.shard ? 'of this shard towards one server port' : 'on a source address'} need ${clientsPerAddress} × ${o.socketsPerClient} open + ${clientsPerAddress} × ${round(perClient)}/s × ${round(heldMs / 1000)} s = ${needed} ports, but ${o.shard ? 'there are' : 'it has'} ${o.portsPerAddress} (ip_local_port_range)`,
    remedies: [
      ...(o.shard
        ? [`run more shards (at most ${fitPerAddress * o.addresses} clients each)`]
        : [
            ...(addressesNeeded <= 254 ? [`set client.sourceAddresses to ${addressesNeeded} or more`] : []),
            `use at most ${fitPerAddress * o.addresses} clients`,
          ]),
      'turn HTTP keep-alive on, or poll less often',
    ],
  };
}

const round = (x: number) => Math.round(x * 10) / 10;
