import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { buildConnector } from 'undici';
import type { ConnectTarget, Transport } from '../models/transport.js';
import { LatencyRecorder, encodeHistogram } from '../metrics/histogram.js';
import { transportError } from '../util/errors.js';
import type { ClientTls, TransportReport } from '../ipc/worker.js';

/** Where one client keeps the TLS session its server last gave it, to offer on its next connection. */
interface SessionSlot {
  session: Buffer | undefined;
}

/**
 * Every connection a worker's clients open goes through here: model clients that own their socket
 * call connect(), undici's requests come through a connector. Plain or TLS, it gives each
 * connection a deadline of its own (TLS has none, and a silent peer would hang it) and records
 * the TCP connect and the TLS handshake separately.
 *
 * TLS: one SecureContext for the worker (a `ca` per connection would make Node build a new one,
 * an X.509 store, for every connect). Each client keeps its own session (forClient()), as a
 * browser keeps its own per origin: a fleet's first connections are all full handshakes, and a
 * client's later ones (reconnects, polls with keep-alive off, its second connection) resume. The
 * session is held strongly, so a garbage collection (forced before each memory sample) never
 * costs a resumption.
 */
export class WorkerTransport implements Transport {
  readonly secure: boolean;
  private readonly context: tls.SecureContext | undefined;
  /** Sessions of connections made through the worker itself (tests, tools), by host and port. */
  private readonly shared = new Map<string, SessionSlot>();
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

  /** One client's transport: its connections are the worker's, its TLS session its own. */
  forClient(): ClientTransport {
    return new ClientTransport(this);
  }

  /** A connection with a session slot shared by host and port. */
  connect(to: ConnectTarget, ready: () => void): net.Socket {
    const key = `${to.host}:${to.port}`;
    let slot = this.shared.get(key);
    if (!slot) this.shared.set(key, (slot = { session: undefined }));
    return this.open(to, ready, slot);
  }

  /** The same transport as undici's `connect` option (a session slot shared by host and port). */
  readonly connector: buildConnector.connector = undiciConnector(this);

  /** @internal opens a connection that offers and keeps the TLS session of `slot`. */
  open(to: ConnectTarget, ready: () => void, slot: SessionSlot): net.Socket {
    const t0 = performance.now();
    const socket = this.secureWith ? this.tlsSocket(to, this.secureWith, slot) : plainSocket(to);
    const deadline = setTimeout(() => expire(socket, this.deadlineMs), this.deadlineMs);
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

  private tlsSocket(to: ConnectTarget, t: ClientTls, slot: SessionSlot): tls.TLSSocket {
    const socket = tls.connect({
      host: to.host,
      port: to.port,
      secureContext: this.context!,
      ...(t.servername ? { servername: t.servername } : {}),
      ...(to.localAddress ? { localAddress: to.localAddress } : {}),
      ...(t.resumption && slot.session ? { session: slot.session } : {}),
    });
    socket.setNoDelay(true);
    // TLS 1.3 tickets arrive after the handshake, as the client reads: keep the latest for the next connect.
    if (t.resumption) socket.on('session', (session: Buffer) => void (slot.session = session));
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

/** One client's transport (WorkerTransport.forClient): the worker's connections, with the client's own TLS session. */
export class ClientTransport implements Transport, SessionSlot {
  session: Buffer | undefined;
  private undici: buildConnector.connector | undefined;

  constructor(private readonly worker: WorkerTransport) {}

  get secure(): boolean {
    return this.worker.secure;
  }

  connect(to: ConnectTarget, ready: () => void): net.Socket {
    return this.worker.open(to, ready, this);
  }

  /** This client's connector for undici (made on first use: clients that make no HTTP request never need one). */
  get connector(): buildConnector.connector {
    return (this.undici ??= undiciConnector(this));
  }
}

/** A transport as undici's `connect` option: it calls back once the connection carries data, or with its error. */
function undiciConnector(transport: Transport): buildConnector.connector {
  return (opts, callback) => {
    let settle: typeof callback | undefined = callback;
    const port = Number(opts.port) || (transport.secure ? 443 : 80);
    const socket = transport.connect(
      { host: opts.hostname, port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) },
      () => {
        settle?.(null, socket);
        settle = undefined;
      },
    );
    socket.once('error', (err) => {
      settle?.(err, null);
      settle = undefined;
    });
    return socket;
  };
}

function plainSocket(to: ConnectTarget): net.Socket {
  return net.connect({ host: to.host, port: to.port, noDelay: true, ...(to.localAddress ? { localAddress: to.localAddress } : {}) });
}

function expire(socket: net.Socket, deadlineMs: number): void {
  socket.destroy(
    transportError('CB_ERR_CONNECT_TIMEOUT', `the connection did not carry data within ${deadlineMs} ms (TCP connect and TLS handshake)`),
  );
}
