import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { rawResponse, respond } from '../models/http/respond.js';
import type { Count } from './counters.js';
import { tcpSocketOf } from './listeners.js';

const TOO_MANY_CONNECTIONS = 'CB_ERR_TOO_MANY_CONNECTIONS';

/**
 * The connections the host holds (HTTP and TCP together) and its limit on them. A connection past
 * `maxConnections` is refused, counted as `refusedConnections`, and answered by its listener's own
 * means (503 on HTTP, a close at accept on TCP) rather than left to fail when descriptors run out.
 */
export class Admission {
  private readonly held = new Set<Socket | Duplex>();
  /** Connections over maxConnections: answered with a refusal, then gone; cut by destroyAll() if not. */
  private readonly refused = new Set<Socket | Duplex>();
  /** Connections accepted per client source address (127.0.0.1, 127.0.0.2, …), reconnects included. */
  private readonly acceptedFrom = new Map<string, number>();

  /**
   * One 'close' listener shared by every connection (EventEmitter calls it with the socket as
   * `this`): a closure per connection, and the wrapper `once` adds, would cost every connection
   * about 200 bytes of heap that are the host's bookkeeping, not the model's (docs/benchmarks.md,
   * Server memory per idle connection). 'close' comes once, so `on` is enough.
   */
  private readonly release: (this: Socket | Duplex) => void;
  private readonly unrefuse: (this: Socket | Duplex) => void;

  constructor(
    private readonly maxConnections: number,
    private readonly count: Count,
    private readonly onClosed: (s: Socket | Duplex) => void,
  ) {
    const held = this.held;
    const refused = this.refused;
    this.release = function (this: Socket | Duplex) {
      held.delete(this);
      onClosed(this);
    };
    this.unrefuse = function (this: Socket | Duplex) {
      refused.delete(this);
    };
  }

  get open(): ReadonlySet<Socket | Duplex> {
    return this.held;
  }

  /** Tracks a new connection, or marks it refused when the host holds maxConnections already. */
  admit(s: Socket): boolean {
    if (this.held.size < this.maxConnections) {
      this.track(s);
      return true;
    }
    this.count('refusedConnections');
    this.refused.add(s);
    s.on('close', this.unrefuse);
    return false;
  }

  /** Answers 503 when the request came on a refused connection; true if it did. */
  turnAwayRequest(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.refused.has(tcpSocketOf(req.socket))) return false;
    respond(res, 503, { error: TOO_MANY_CONNECTIONS, message: tooMany(this.maxConnections) }, { connection: 'close' });
    return true;
  }

  /** Answers 503 when the upgrade came on a refused connection; true if it did. */
  turnAwayUpgrade(socket: Duplex): boolean {
    if (!this.refused.has(tcpSocketOf(socket))) return false;
    socket.end(rawResponse(503, 'Service Unavailable', TOO_MANY_CONNECTIONS, tooMany(this.maxConnections)));
    return true;
  }

  /** Connections accepted so far per client source address, so a run shows how it spread them. */
  acceptedBySourceAddress(): Record<string, number> {
    return Object.fromEntries(this.acceptedFrom);
  }

  destroyAll(): void {
    for (const s of this.held) s.destroy();
    for (const s of this.refused) s.destroy();
  }

  private track(s: Socket | Duplex): void {
    if (this.held.has(s)) return;
    this.held.add(s);
    this.count('acceptedConnections');
    const from = (s as Socket).remoteAddress ?? 'unknown';
    this.acceptedFrom.set(from, (this.acceptedFrom.get(from) ?? 0) + 1);
    s.on('close', this.release);
  }
}

function tooMany(max: number): string {
  return `the server holds its limit of ${max} connections; try again later`;
}
