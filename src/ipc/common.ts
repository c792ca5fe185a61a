/** What more than one kind of process reports in the same shape, and how requests meet their replies. */

/**
 * A request from the runner carries an id; the reply to it carries the same id, so a reply is
 * matched to its request, never to another in flight of the same type. A message without an id is
 * a notification (progress) or, for `error`, a failure of the whole process.
 */
export interface Correlated {
  id?: number;
}

/**
 * The child side of a request: runs `handle` for every message from the parent and sends what it
 * returns as the reply, with the request's id; a throw is the reply `error` with that id.
 */
export function answerRequests<In extends Correlated, Out extends { type: string }>(
  handle: (m: In) => Promise<Out | undefined | void> | Out | undefined | void,
  failed: (err: unknown) => { code: string; message: string; hint?: string },
): void {
  process.on('message', (m: In) => {
    const reply = (out: object) => process.send?.(m.id === undefined ? out : { ...out, id: m.id });
    Promise.resolve()
      .then(() => handle(m))
      .then(
        (out) => out && reply(out),
        (err: unknown) => reply({ type: 'error', ...failed(err) }),
      );
  });
}

export interface ExpectedQuery {
  /** The reader's address; absent = count broadcasts only (chat messages are owed from what senders sent). */
  user?: string;
  /** The client's starting cursor; undefined when it never subscribed (everything is expected). */
  afterSeq: number | undefined;
}

/** Bytes a server's sockets have carried, and the HTTP requests it has answered. */
export interface WireBytes {
  sentBytes: number;
  receivedBytes: number;
  httpRequests: number;
}

/** Every server process's publisher figures over the window: encoded µs histograms, one per process that published on a schedule. */
export interface PublishTimes {
  /** Lateness (Publisher.lag). */
  lags: string[];
  /** Handoff (Publisher.handoff). */
  handoffs: string[];
}
