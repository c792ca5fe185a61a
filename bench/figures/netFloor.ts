import { sleep } from '../../dist/util/sleep.js';
import { upgradeRequest } from '../../dist/models/websocket/handshake.js';
import { streamRequest } from '../../dist/models/sse/leanClient.js';
import type { Child } from '../../dist/runner/child.js';
import { CONTROL_TIMEOUT_MS, floorChild } from '../children.js';
import type {
  FloorError,
  FloorSample,
  FromLibServer,
  FromNetClient,
  FromNetServer,
  LibServerKind,
  ToLibServer,
  ToNetClient,
  ToNetServer,
} from '../floors/protocol.js';

/** How long the server may take to accept what the client has connected (the accept queue drains). */
const ACCEPT_TIMEOUT_MS = 10_000;

export type Certificates = { certPem: string; keyPem: string; caPem: string };

/**
 * A floor server process and a bare `net` client process holding `connections` sockets between
 * them: what both share (connect until the server holds them all, sample, stop).
 */
export abstract class HeldSockets<ToServer extends ToNetServer | ToLibServer> {
  abstract readonly server: Child<ToServer, FromNetServer | FromLibServer | FloorError>;
  readonly client = floorChild<ToNetClient, FromNetClient>('netClient', 'bare net client');
  port = 0;
  /** What the server is called in errors. */
  abstract readonly name: string;

  abstract listen(): Promise<void>;
  /** Resolves once the client has connected them all and the server holds them all. */
  abstract connect(connections: number): Promise<void>;

  protected async connectWith(connections: number, extra: Pick<Extract<ToNetClient, { type: 'connect' }>, 'tls' | 'hello'>): Promise<void> {
    const r = await this.client.request(
      { type: 'connect', port: this.port, count: connections, ...extra },
      'connected',
      CONTROL_TIMEOUT_MS + connections * 5,
      'connect',
    );
    if (r.failed > 0) throw new Error(`${r.failed} of ${connections} connections to the ${this.name} failed`);
    const deadline = Date.now() + ACCEPT_TIMEOUT_MS;
    for (;;) {
      const held = await this.serverSample(false);
      if (held.sockets >= connections) return;
      if (Date.now() > deadline) throw new Error(`the ${this.name} held ${held.sockets} of ${connections} connections`);
      await sleep(20);
    }
  }

  async sample(gc: boolean): Promise<{ server: FloorSample; client: FloorSample }> {
    const [server, client] = await Promise.all([
      this.serverSample(gc),
      this.client.request({ type: 'sample', gc }, 'sample', CONTROL_TIMEOUT_MS, 'report a sample'),
    ]);
    return { server, client: client as FloorSample };
  }

  async stop(): Promise<void> {
    await Promise.all([this.server.stop({ type: 'stop' } as ToServer), this.client.stop({ type: 'stop' })]);
  }

  protected async serverSample(gc: boolean): Promise<FloorSample> {
    return (await this.server.request({ type: 'sample', gc } as ToServer, 'sample', CONTROL_TIMEOUT_MS, 'report a sample')) as FloorSample;
  }
}

/**
 * A bare `net` server and client: the floor of every server and client figure. With `tls`, a bare
 * `tls` server with that certificate and key, and clients that trust that CA.
 */
export class NetFloor extends HeldSockets<ToNetServer> {
  readonly server = floorChild<ToNetServer, FromNetServer>('netServer', 'bare net server');
  readonly name = 'bare net server';

  constructor(private readonly tls?: Certificates) {
    super();
  }

  async listen(): Promise<void> {
    const tls = this.tls && { certPem: this.tls.certPem, keyPem: this.tls.keyPem };
    this.port = (await this.server.request({ type: 'listen', ...(tls ? { tls } : {}) }, 'listening', CONTROL_TIMEOUT_MS, 'listen')).port;
  }

  connect(connections: number): Promise<void> {
    return this.connectWith(connections, this.tls ? { tls: { caPem: this.tls.caPem } } : {});
  }
}

/**
 * The server a library gives alone (floors/libServer.js), each connection opened by a bare client
 * with the request connbench's own client sends: the library's cost, without connbench.
 */
export class LibServerFloor extends HeldSockets<ToLibServer> {
  readonly server;
  readonly name: string;

  constructor(readonly kind: LibServerKind) {
    super();
    this.name = `bare ${kind} server`;
    this.server = floorChild<ToLibServer, FromLibServer>('libServer', this.name);
  }

  async listen(): Promise<void> {
    this.port = (await this.server.request({ type: 'listen', kind: this.kind }, 'listening', CONTROL_TIMEOUT_MS, 'listen')).port;
  }

  connect(connections: number): Promise<void> {
    return this.connectWith(connections, { hello: helloOf(this.kind, this.port) });
  }
}

/** How long a long poll is held in the memory runs: far longer than any of them takes to sample. */
export const MEMORY_HOLD_MS = 60_000;

/**
 * The bytes connbench's client of each model sends to open its stream, so both servers parse and
 * keep the same request: the lean websocket client's upgrade (the bench's 5000 clients choose it;
 * the key is RFC 6455's example), the lean SSE client's request, and undici's for a poll held as
 * long as the memory runs hold theirs.
 */
export function helloOf(kind: LibServerKind, port: number): string {
  switch (kind) {
    case 'websocket':
      return upgradeRequest('/ws?user=u0', `127.0.0.1:${port}`, 'dGhlIHNhbXBsZSBub25jZQ==');
    case 'sse':
      return streamRequest('127.0.0.1', port, 'u0', null);
    case 'long-poll':
      return `GET /poll?cursor=0&wait=${MEMORY_HOLD_MS}&user=u0 HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: keep-alive\r\n\r\n`;
  }
}
