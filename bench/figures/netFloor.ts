import { sleep } from '../../dist/util/sleep.js';
import { CONTROL_TIMEOUT_MS, floorChild } from '../children.js';
import type {
  FloorSample,
  FromNetClient,
  FromNetServer,
  LibServerKind,
  ToLibServer,
  ToNetClient,
  ToNetServer,
} from '../floors/protocol.js';

/** How long the server may take to accept what the client has connected (the accept queue drains). */
const ACCEPT_TIMEOUT_MS = 10_000;

/**
 * The request each bare client writes to open its stream on a library server: the bytes
 * connbench's own clients send (the websocket key is RFC 6455's example; the lean SSE client's
 * request; a long poll held for the memory runs' 60 s), so both servers parse and keep the same.
 */
function helloOf(kind: LibServerKind, port: number): string {
  const host = `127.0.0.1:${port}`;
  switch (kind) {
    case 'websocket':
      return (
        `GET /ws?user=u0 HTTP/1.1\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
        `Connection: Upgrade\r\nUpgrade: websocket\r\nHost: ${host}\r\n\r\n`
      );
    case 'sse':
      return `GET /events?user=u0 HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n`;
    case 'long-poll':
      return `GET /poll?cursor=0&wait=60000&user=u0 HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\n\r\n`;
  }
}

/**
 * A bare `net` server and a bare `net` client process holding `connections` sockets between them.
 * With `peer`, the server is that bare library server (floors/libServer.js) and each client socket
 * opens its stream on it: the library's own cost, without connbench.
 */
export class NetFloor {
  readonly server;
  readonly client = floorChild<ToNetClient, FromNetClient>('netClient', 'bare net client');
  port = 0;

  constructor(readonly peer?: LibServerKind) {
    this.server = peer
      ? floorChild<ToNetServer | ToLibServer, FromNetServer>('libServer', `bare ${peer} server`)
      : floorChild<ToNetServer | ToLibServer, FromNetServer>('netServer', 'bare net server');
  }

  /** `tls`: a bare `tls` server with this certificate and key instead of `net` (not with a peer). */
  async listen(tls?: { certPem: string; keyPem: string }): Promise<void> {
    const m: ToNetServer | ToLibServer = this.peer ? { type: 'listen', kind: this.peer } : { type: 'listen', ...(tls ? { tls } : {}) };
    this.port = (await this.server.request(m, 'listening', CONTROL_TIMEOUT_MS, 'listen')).port;
  }

  /** Resolves once the client has connected them all and the server has accepted them all (`tls`: over TLS, trusting this CA). */
  async connect(connections: number, tls?: { caPem: string }): Promise<void> {
    const r = await this.client.request(
      {
        type: 'connect',
        port: this.port,
        count: connections,
        ...(tls ? { tls } : {}),
        ...(this.peer ? { hello: helloOf(this.peer, this.port) } : {}),
      },
      'connected',
      CONTROL_TIMEOUT_MS + connections * 5,
      'connect',
    );
    if (r.failed > 0) throw new Error(`${r.failed} of ${connections} bare net connections failed`);
    const deadline = Date.now() + ACCEPT_TIMEOUT_MS;
    for (;;) {
      const held = await this.server.request({ type: 'sample', gc: false }, 'sample', CONTROL_TIMEOUT_MS, 'report a sample');
      if ((held as FloorSample).sockets >= connections) return;
      if (Date.now() > deadline)
        throw new Error(`the bare ${this.peer ?? 'net'} server held ${(held as FloorSample).sockets} of ${connections} connections`);
      await sleep(20);
    }
  }

  async sample(gc: boolean): Promise<{ server: FloorSample; client: FloorSample }> {
    const [server, client] = await Promise.all([
      this.server.request({ type: 'sample', gc }, 'sample', CONTROL_TIMEOUT_MS, 'report a sample'),
      this.client.request({ type: 'sample', gc }, 'sample', CONTROL_TIMEOUT_MS, 'report a sample'),
    ]);
    return { server: server as FloorSample, client: client as FloorSample };
  }

  async stop(): Promise<void> {
    await Promise.all([this.server.stop({ type: 'stop' }), this.client.stop({ type: 'stop' })]);
  }
}
