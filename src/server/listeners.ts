import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { runError } from '../util/errors.js';
import type { ListenerKind, ListenerTls as ServerTls, Ports } from '../models/listeners.js';
import type { Count } from './counters.js';

function tlsOptions(t: ServerTls, handshakeTimeoutMs: number): tls.TlsOptions {
  return {
    cert: t.certPem,
    key: t.keyPem,
    ...(t.ticketKeys ? { ticketKeys: Buffer.from(t.ticketKeys, 'base64') } : {}),
    handshakeTimeout: handshakeTimeoutMs,
  };
}

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
 * The HTTP listener; with `secure`, HTTPS on the same routes. An https.Server is an http.Server in
 * all the host uses (routes, upgrades, clientError, closeAllConnections), so it is typed as one.
 * `requestTimeoutMs`: a request's headers and body must all arrive within this long of its first
 * byte (ServerSettings.stallTimeoutMs). Node counts it only until the request is received, so a
 * held poll or a stream, whose request arrived long ago, is never cut by it.
 */
export function createHttpListener(headersTimeoutMs: number, requestTimeoutMs: number, secure?: ServerTls): http.Server {
  const shortestMs = Math.min(headersTimeoutMs, requestTimeoutMs);
  const options: http.ServerOptions = {
    keepAlive: true,
    keepAliveTimeout: 0,
    // Node checks both deadlines on this interval only (30 s by default): a short timeout needs a short check.
    connectionsCheckingInterval: Math.min(DEFAULT_HEADERS_TIMEOUT_MS, Math.max(50, Math.round(shortestMs / 2))),
  };
  const server = secure
    ? (https.createServer({ ...options, ...tlsOptions(secure, headersTimeoutMs) }) as unknown as http.Server)
    : http.createServer(options);
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = headersTimeoutMs;
  server.keepAliveTimeout = 0;
  return server;
}

/**
 * The raw TCP listener; with `secure`, TLS on it: `onSocket` then gets each connection once its
 * handshake is done. Its 'connection' event always carries the TCP socket, which counts the bytes
 * on the wire (a TLS socket counts the plaintext).
 */
export function createTcpListener(
  onSocket: (s: net.Socket) => void,
  secure: ServerTls | undefined,
  handshakeTimeoutMs: number,
): net.Server {
  if (!secure) return net.createServer(onSocket);
  return tls.createServer(tlsOptions(secure, handshakeTimeoutMs), onSocket);
}

/**
 * Counts a TLS listener's handshakes (`tlsHandshakes`, of them `tlsResumed`) and the clients that
 * failed one (`tlsClientErrors.<code>`: a plain client at a TLS port shows as ERR_SSL_HTTP_REQUEST or
 * ERR_SSL_WRONG_VERSION_NUMBER), and ends those: a tls.Server leaves a failed socket open, so a
 * client that never speaks TLS would otherwise hold it for ever.
 */
export function countTls(server: net.Server, count: Count): void {
  server.on('secureConnection', (s: tls.TLSSocket) => {
    count('tlsHandshakes');
    if (s.isSessionReused()) count('tlsResumed');
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, s: tls.TLSSocket) => {
    count(`tlsClientErrors.${err.code ?? 'unknown'}`);
    s.destroy();
  });
}

/** The TCP socket under a TLS socket (the one the listener's 'connection' event gave), or the socket itself. */
export function tcpSocketOf<S>(s: S): S {
  // Node keeps the wrapped socket as `_parent`; the host tracks that one for admission and bytes.
  return ((s as { _parent?: S })._parent ?? s) as S;
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
