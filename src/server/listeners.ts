import http from 'node:http';
import net from 'node:net';
import { runError } from '../util/errors.js';
import type { ListenerKind, Ports } from '../models/listeners.js';

/**
 * Pending connections the kernel queues per listener before accept. Node's default (511) drops
 * SYNs when thousands of clients connect in the same second (a ramp, a reconnect storm); the SYN is
 * then retried only after 1 s, 3 s, … and shows up as connect time. The kernel caps it at
 * net.core.somaxconn (4096 here), so asking for more is harmless.
 */
export const LISTEN_BACKLOG = 65_535;

/** Node's default; long enough for any honest client, short enough to shed slow-header ones. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;

export interface Listener {
  readonly kind: ListenerKind;
  readonly server: net.Server;
}

/**
 * `requestTimeoutMs`: a request's headers and body must all arrive within this long of its first
 * byte (ServerSettings.stallTimeoutMs). Node counts it only until the request is received, so a
 * held poll or a stream, whose request arrived long ago, is never cut by it.
 */
export function createHttpListener(headersTimeoutMs: number, requestTimeoutMs: number): http.Server {
  const shortestMs = Math.min(headersTimeoutMs, requestTimeoutMs);
  const server = http.createServer({
    keepAlive: true,
    keepAliveTimeout: 0,
    // Node checks both deadlines on this interval only (30 s by default): a short timeout needs a short check.
    connectionsCheckingInterval: Math.min(DEFAULT_HEADERS_TIMEOUT_MS, Math.max(50, Math.round(shortestMs / 2))),
  });
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = headersTimeoutMs;
  server.keepAliveTimeout = 0;
  return server;
}

/** Listens on each listener in turn, on its port in `requested` (0 or none: any free port); rejects with CB_ERR_PORT_IN_USE naming the port. */
export async function listenAll(listeners: readonly Listener[], host: string, requested: Ports): Promise<Ports> {
  const ports: Ports = {};
  for (const { kind, server } of listeners) ports[kind] = await listenOn(server, host, requested[kind] ?? 0);
  return ports;
}

/** Closes every listener at once; resolves when their last connections have gone too. */
export async function stopListening(listeners: readonly Listener[]): Promise<void> {
  await Promise.all(listeners.map(({ server }) => stopOne(server)));
}

function listenOn(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(runError('CB_ERR_PORT_IN_USE', `port ${port} on ${host} is already in use`, 'choose another port, or 0 for any free port'));
      else reject(runError('CB_ERR_LISTEN', `could not listen on ${host}:${port}: ${err.message}`, undefined, err));
    };
    server.once('error', onError);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function stopOne(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
