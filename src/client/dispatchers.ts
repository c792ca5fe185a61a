import { Agent, Client, Dispatcher, buildConnector, errors } from 'undici';
import { CONNECTIONS_PER_CLIENT } from '../topology/topology.js';

const KEEP_ALIVE_MS = 600_000;

/**
 * Per-client undici dispatchers. Each simulated client gets its own connections, so N clients hold
 * N connections as N browser tabs would; one pool shared by all clients would multiplex short polls
 * over a handful of sockets and understate the server's per-connection cost.
 */
export class ClientDispatchers {
  /** The connections of every client that has made a request, for destroy(). */
  private readonly live = new Set<Client>();
  /** Stands in for models whose clients never make undici requests (websocket, tcp). */
  private unused: Agent | undefined;
  private readonly origin: string;
  /**
   * One connector for every client: undici builds one per Client otherwise, each with its own TLS
   * session cache (a Map and a FinalizationRegistry) that plain http never uses. The source
   * address is a per-Client option that undici hands the connector on every connect.
   */
  private readonly connector: buildConnector.connector;
  private readonly clientOptions: Client.Options;

  /**
   * `o.connector`: how every connection is opened (a run's workers: their transport, plain or TLS);
   * else `o.connect`: socket options for undici's own connector (TCP keep-alive, for the heartbeat
   * lab); `o.client`: undici Client options on top of the defaults (the lab's long idle limits).
   */
  constructor(
    origin: string,
    o: { connector?: buildConnector.connector; connect?: buildConnector.BuildOptions; client?: Client.Options } = {},
  ) {
    this.origin = origin;
    this.connector = o.connector ?? buildConnector(o.connect ?? {});
    this.clientOptions = o.client ?? {};
  }

  /**
   * `connections` 1 puts chat sends on the poll's or stream's connection (a scenario without HTTP
   * chat never sends, so the second is never made anyway); 2, the default, gives them their own.
   * `connector`: this client's own (its TLS session), instead of the one every client shares.
   */
  forClient(
    needed: boolean,
    localAddress: string | undefined,
    connections = CONNECTIONS_PER_CLIENT,
    connector?: buildConnector.connector,
  ): Dispatcher {
    if (!needed) return (this.unused ??= new Agent());
    return new TabConnections(this.origin, localAddress, this.live, connections > 1, connector ?? this.connector, this.clientOptions);
  }

  /** Connections of every client that are open or opening (for tests and diagnostics). */
  get size(): number {
    return this.live.size;
  }

  async destroy(): Promise<void> {
    await Promise.all([...[...this.live].map((c) => c.destroy()), this.unused?.destroy()]);
    this.live.clear();
  }
}

/** A Dispatcher that closes and destroys what it owns: undici's callback overloads, written once. */
export abstract class OwnedDispatcher extends Dispatcher {
  protected abstract closeOwn(): Promise<void>;
  protected abstract destroyOwn(err: Error | null): Promise<void>;

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const p = this.closeOwn();
    if (!callback) return p;
    void p.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    const p = this.destroyOwn(typeof a === 'function' ? null : (a ?? null));
    if (!callback) return p;
    void p.then(callback, callback);
  }
}

/**
 * One simulated client's connections, as a browser tab holds them: one for its poll or event
 * stream (GET), made on the first GET, and one for chat sends (every other method), made on the
 * first send. Each is an undici Client, a single keep-alive connection: the next poll waits for
 * the previous answer on the same socket instead of opening a second, so the server sees one
 * connection per polling client; and a send never queues behind a poll the server holds. Nothing
 * is allocated until used, and a Client costs a small part of what a Pool does before its first
 * request (`bench/micro/undiciDispatchers.mjs`; docs/benchmarks.md, Where a goal is missed:
 * Simulated client RSS per connection), so a lean SSE client, which streams on its own socket,
 * costs nothing here until it sends.
 */
export class TabConnections extends OwnedDispatcher {
  private reading: Client | undefined;
  private sends: Client | undefined;
  private ended = false;

  constructor(
    private readonly origin: string,
    private readonly localAddress: string | undefined,
    private readonly live: Set<Client>,
    private readonly sendsApart = true,
    private readonly connector?: buildConnector.connector,
    /** Further undici Client options for both connections (the heartbeat lab's long idle limits). */
    private readonly clientOptions: Client.Options = {},
  ) {
    super();
  }

  /** Connections made so far (0, 1 or 2), for tests. */
  get made(): number {
    return (this.reading ? 1 : 0) + (this.sends ? 1 : 0);
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    // Closed for good, as a closed undici dispatcher is: no connection is made afresh.
    if (this.ended) return refuse(handler, new errors.ClientClosedError());
    const client = opts.method === 'GET' || !this.sendsApart ? (this.reading ??= this.connection()) : (this.sends ??= this.connection());
    return client.dispatch(opts, handler);
  }

  protected closeOwn(): Promise<void> {
    return this.each((c) => c.close());
  }

  protected destroyOwn(err: Error | null): Promise<void> {
    return this.each((c) => c.destroy(err));
  }

  private connection(): Client {
    const client = new Client(this.origin, {
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
      ...this.clientOptions,
      ...(this.connector ? { connect: this.connector } : {}),
      // A top-level option: undici's connector ignores a localAddress inside `connect`.
      ...(this.localAddress ? { localAddress: this.localAddress } : {}),
    });
    this.live.add(client);
    return client;
  }

  private async each(end: (c: Client) => Promise<void>): Promise<void> {
    this.ended = true;
    const clients = [this.reading, this.sends].filter((c): c is Client => c !== undefined);
    this.reading = undefined;
    this.sends = undefined;
    await Promise.all(
      clients.map(async (c) => {
        try {
          await end(c);
        } catch {
          // Already closed or destroyed: nothing left to end.
        } finally {
          this.live.delete(c);
        }
      }),
    );
  }
}

/** Fails a request the way undici does when a dispatcher is closed: through the handler, never thrown. */
function refuse(handler: Dispatcher.DispatchHandler, err: Error): false {
  if (handler.onResponseError) handler.onResponseError(undefined as unknown as Dispatcher.DispatchController, err);
  else handler.onError?.(err);
  return false;
}
