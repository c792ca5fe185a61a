/**
 * The listeners of the reference server, by kind. A model's server attaches to one kind and its
 * clients connect to that kind's port: `http` is HTTP/1.1 (routes and upgrades, shared by the
 * HTTP models and websocket), `tcp` is a raw TCP port. A listener of another kind (TLS, HTTP/2) is
 * one more entry here and one more way for the host to listen.
 */
export const LISTENER_KINDS = ['http', 'tcp'] as const;
export type ListenerKind = (typeof LISTENER_KINDS)[number];

/** Where one server process listens: a port per listener kind it opened (asked for: 0 = any free port). */
export type Ports = Partial<Record<ListenerKind, number>>;

/** The port of `kind` in `ports`, or an error naming what is missing (a server that did not open it). */
export function portOf(ports: Ports, kind: ListenerKind): number {
  const port = ports[kind];
  if (port === undefined) throw new RangeError(`no ${kind} listener among ${JSON.stringify(ports)}`);
  return port;
}
