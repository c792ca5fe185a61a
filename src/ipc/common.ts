/** What more than one kind of process reports in the same shape. */

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
