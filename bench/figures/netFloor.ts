import { sleep } from '../../dist/util/sleep.js';
import { CONTROL_TIMEOUT_MS, floorChild } from '../children.js';
import type { FloorSample, FromNetClient, FromNetServer, ToNetClient, ToNetServer } from '../floors/protocol.js';

/** How long the server may take to accept what the client has connected (the accept queue drains). */
const ACCEPT_TIMEOUT_MS = 10_000;

/** A bare `net` server and a bare `net` client process holding `connections` sockets between them. */
export class NetFloor {
  readonly server = floorChild<ToNetServer, FromNetServer>('netServer', 'bare net server');
  readonly client = floorChild<ToNetClient, FromNetClient>('netClient', 'bare net client');
  port = 0;

  /** `tls`: a bare `tls` server with this certificate and key instead of `net`. */
  async listen(tls?: { certPem: string; keyPem: string }): Promise<void> {
    this.port = (await this.server.request({ type: 'listen', ...(tls ? { tls } : {}) }, 'listening', CONTROL_TIMEOUT_MS, 'listen')).port;
  }

  /** Resolves once the client has connected them all and the server has accepted them all (`tls`: over TLS, trusting this CA). */
  async connect(connections: number, tls?: { caPem: string }): Promise<void> {
    const r = await this.client.request(
      { type: 'connect', port: this.port, count: connections, ...(tls ? { tls } : {}) },
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
        throw new Error(`the bare net server accepted ${(held as FloorSample).sockets} of ${connections} connections`);
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
