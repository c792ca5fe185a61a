import net from 'node:net';

/** Where one connection goes. */
export interface ConnectTarget {
  host: string;
  port: number;
  /** Source address to bind (127.0.0.2, …); none = the kernel's choice. */
  localAddress?: string;
}

/**
 * How a model client opens its connections: plain TCP, or TLS over it that verifies the server.
 * A model never builds a socket itself: it asks its transport, so the same client code runs over
 * TCP and TLS, and whoever made the transport (the client worker) sees every connection opened,
 * how long its TCP connect and TLS handshake took and whether the TLS session was resumed, without
 * the model knowing where those figures go.
 */
export interface Transport {
  /** TLS: URLs are https:// and wss://, and sockets from connect() are TLS sockets that have verified the server. */
  readonly secure: boolean;
  /**
   * Opens a connection; `ready` runs once it can carry data (after the TLS handshake when secure).
   * Every failure, its own connect deadline included, is the socket's 'error' (then 'close').
   */
  connect(to: ConnectTarget, ready: () => void): net.Socket;
}

/** Plain TCP with Nagle off (every model writes whole frames), for anything not given a transport of its own. */
export const PLAIN_TRANSPORT: Transport = {
  secure: false,
  connect(to, ready) {
    const socket = net.connect({
      host: to.host,
      port: to.port,
      noDelay: true,
      ...(to.localAddress ? { localAddress: to.localAddress } : {}),
    });
    socket.once('connect', ready);
    return socket;
  },
};

/** `http://host:port` or `https://host:port` (`ws`, `wss` for a websocket): the origin of a listener. */
export function originOf(scheme: 'http' | 'ws', secure: boolean, host: string, port: number | undefined): string {
  return `${scheme}${secure ? 's' : ''}://${host}:${port}`;
}

/** Where an HTTP model client's requests go. */
export function httpOrigin(o: { host: string; port: number; transport?: Transport }): string {
  return originOf('http', o.transport?.secure === true, o.host, o.port);
}

/** Where a websocket client connects. */
export function wsOrigin(o: { host: string; port: number; transport?: Transport }): string {
  return originOf('ws', o.transport?.secure === true, o.host, o.port);
}
