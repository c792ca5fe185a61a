import { Agent, Pool, type Dispatcher } from 'undici';

/** Connections per simulated HTTP client: the poll or stream, and a second for chat sends. */
export const CONNECTIONS_PER_CLIENT = 2;

const KEEP_ALIVE_MS = 600_000;

/**
 * Per-client undici dispatchers. Each simulated client gets its own small pool, so N clients hold
 * N connections as N browsers would; one pool shared by all clients would multiplex short polls
 * over a handful of sockets and understate the server's per-connection cost.
 */
export class ClientDispatchers {
  private readonly pools: Pool[] = [];
  /** Stands in for models whose clients never make undici requests (websocket, tcp). */
  private unused: Agent | undefined;
  private readonly origin: string;

  constructor(origin: string) {
    this.origin = origin;
  }

  /**
   * `connections`: 1 when the client never sends chat. With 2, a long poll asked again the moment
   * the last answer is read finds its socket not yet released and undici opens the second one, so
   * every long-poll client held two server sockets (20,000 for 10,000 clients, past a process's limit).
   */
  forClient(needed: boolean, localAddress: string | undefined, connections = CONNECTIONS_PER_CLIENT): Dispatcher {
    if (!needed) return (this.unused ??= new Agent());
    const pool = new Pool(this.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
      // A top-level option: undici's connector ignores a localAddress inside `connect`.
      ...(localAddress ? { localAddress } : {}),
    });
    this.pools.push(pool);
    return pool;
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.pools.map((p) => p.destroy()), this.unused?.destroy()]);
  }
}
