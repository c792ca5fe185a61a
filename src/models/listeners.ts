/**
 * The listeners of the reference server, by kind. A model's server attaches to one kind and its
 * clients connect to that kind's port: `http` is HTTP/1.1 (routes and upgrades, shared by the
 * HTTP models and websocket), `tcp` is a raw TCP port. A listener of another kind (HTTP/2) is one
 * more entry here and one more way for the host to listen. TLS is not a kind but a property of a
 * server's listeners (`ListenerTls`): with it every kind speaks TLS on the same port, so ports keep
 * travelling as one map by kind, and a model's clients need only know whether to use TLS.
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

/**
 * TLS on every listener of a server: its certificate (the chain, PEM) and key, and the session
 * ticket keys (48 bytes, base64) that every server process of a run shares, so that a ticket one of
 * them issued resumes on another, and on the process a restart fault puts in its place.
 */
export interface ListenerTls {
  certPem: string;
  keyPem: string;
  ticketKeys?: string;
}
