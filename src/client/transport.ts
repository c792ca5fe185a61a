import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { buildConnector } from 'undici';
import type { ConnectTarget, Transport } from '../models/transport.js';
import { LatencyRecorder, encodeHistogram } from '../metrics/histogram.js';
import { transportError } from '../util/errors.js';
import type { ClientTls, TransportReport } from '../ipc/worker.js';

/**
 * Every connection a worker's clients open goes through here: model clients that own their socket
 * call connect(), undici's requests come through connector(). Plain or TLS, it gives each
 * connection a deadline of its own (TLS has none, and a silent peer would hang it) and records
 * the TCP connect and the TLS handshake separately.
 *
 * TLS: one SecureContext for the worker (a `ca` per connection would make Node build a new one,
 * an X.509 store, for every connect); session tickets kept per host and port in a plain Map, so a
 * garbage collection (forced before each memory sample) never costs a resumption, and a ticket
 * from one server process is never offered to another. One ticket serves every client of the
 * worker, as one browser's cache serves its tabs.
 */
export class WorkerTransport implements Transport {
  readonly secure: boolean;
  private readonly context: tls.SecureContext | undefined;
  private readonly sessions = new Map<string, Buffer>();
  private opened = 0;
  private handshakes = 0;
  private resumed = 0;
  private protocol: string | undefined;
  private cipher: string | undefined;
  private readonly tcp = new LatencyRecorder();
  private readonly tlsFull = new LatencyRecorder();
  private readonly tlsResumed = new LatencyRecorder();

  /** `deadlineMs`: how long a connection may take to carry data (TCP connect and TLS handshake together). */
  constructor(
    private readonly secureWith: ClientTls | undefined,
    private readonly deadlineMs: number,
  ) {
    this.secure = secureWith !== undefined;
    this.context = secureWith ? tls.createSecureContext({ ca: secureWith.caPem }) : undefined;
  }

  /** Connections opened so far: a worker reports it with each sample, so the runner can rate them over the window. */
  get connectionsOpened(): number {
    return this.opened;
  }

  connect(to: ConnectTarget, ready: () => void): net.Socket {
    const t0 = performance.now();
    const socket = this.secureWith ? this.tlsSocket(to, this.secureWith) : plainSocket(to);
    const deadline = setTimeout(expire, this.deadlineMs, socket, this.deadlineMs);
    let tcpUs = 0;
    socket.once('connect', () => {
      tcpUs = (performance.now() - t0) * 1000;
      this.tcp.recordValue(Math.max(1, tcpUs));
      if (!this.secure) this.ready(deadline, ready);
    });
    if (this.secure)
      socket.once('secureConnect', () => {
        this.handshook(socket as tls.TLSSocket, (performance.now() - t0) * 1000 - tcpUs);
        this.ready(deadline, ready);
      });
    socket.once('close', () => clearTimeout(deadline));
    return socket;
  }

  /** The same transport as undici's `connect` option: requests of HTTP models open their connections here too. */
  readonly connector: buildConnector.connector = (opts, callback) => {
    let settle: typeof callback | undefined = callback;
    const port = Number(opts.port) || (this.secure ? 443 : 80);
    const socket = this.connect({ host: opts.hostname, port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) }, () => {
      settle?.(null, socket);
      settle = undefined;
    });
    socket.once('error', (err) => {
      settle?.(err, null);
      settle = undefined;
    });
    return socket;
  };

  report(): TransportReport {
    return {
      opened: this.opened,
      tcpHistogram: encodeHistogram(this.tcp),
      tlsFullHistogram: encodeHistogram(this.tlsFull),
      tlsResumedHistogram: encodeHistogram(this.tlsResumed),
      handshakes: this.handshakes,
      resumed: this.resumed,
      ...(this.protocol ? { protocol: this.protocol } : {}),
      ...(this.cipher ? { cipher: this.cipher } : {}),
    };
  }

  private tlsSocket(to: ConnectTarget, t: ClientTls): tls.TLSSocket {
    const key = `${to.host}:${to.port}`;
    const socket = tls.connect({
      host: to.host,
      port: to.port,
      secureContext: this.context!,
      ...(t.servername ? { servername: t.servername } : {}),
      ...(to.localAddress ? { localAddress: to.localAddress } : {}),
      ...(t.resumption ? { session: this.sessions.get(key) } : {}),
    });
    socket.setNoDelay(true);
    // TLS 1.3 tickets arrive after the handshake, as the client reads: keep the latest for the next connect.
    if (t.resumption) socket.on('session', (session: Buffer) => void this.sessions.set(key, session));
    return socket;
  }

  private handshook(socket: tls.TLSSocket, tlsUs: number): void {
    this.handshakes++;
    const resumed = socket.isSessionReused();
    if (resumed) this.resumed++;
    (resumed ? this.tlsResumed : this.tlsFull).recordValue(Math.max(1, tlsUs));
    this.protocol ??= socket.getProtocol() ?? undefined;
    this.cipher ??= socket.getCipher()?.name;
  }

  private ready(deadline: NodeJS.Timeout, ready: () => void): void {
    clearTimeout(deadline);
    this.opened++;
    ready();
  }
}

function plainSocket(to: ConnectTarget): net.Socket {
  return net.connect({ host: to.host, port: to.port, noDelay: true, ...(to.localAddress ? { localAddress: to.localAddress } : {}) });
}

function expire(socket: net.Socket, deadlineMs: number): void {
  socket.destroy(
    transportError('CB_ERR_CONNECT_TIMEOUT', `the connection did not carry data within ${deadlineMs} ms (TCP connect and TLS handshake)`),
  );
}
