import type { Gap, LogEntry } from '../log.js';

/**
 * The text/event-stream frames of connbench's SSE wire contract (docs/contract.md, SSE), built as
 * strings so the server writes each with one res.write and the tests can assert on exact bytes.
 */

/** A comment line then the blank line that ends it: the cheapest bytes that prove the stream lives. */
export const HEARTBEAT_FRAME = ':\n\n';

/**
 * The first write of every stream: the reconnection delay once, then the starting cursor. With
 * heartbeat echo on (ServerSettings.sseEcho) the hello also names the stream,
 * `data: {"cursor":N,"stream":K}`, and the client answers every heartbeat comment with
 * `POST /events/alive?stream=K` (no body; 204) on its other connection: SSE carries nothing
 * upstream, so without it the server cannot tell a live client from a half-open socket. A hello
 * without `stream` means the server wants no echo.
 */
export function helloFrame(cursor: number, retryMs: number, stream?: number): string {
  const data = stream === undefined ? `{"cursor":${cursor}}` : `{"cursor":${cursor},"stream":${stream}}`;
  return `retry: ${retryMs}\nevent: hello\nid: ${cursor}\ndata: ${data}\n\n`;
}

/** The echo route (see helloFrame): `POST ${ALIVE_PATH}?stream=K`. */
export const ALIVE_PATH = '/events/alive';

export function messageFrame(entry: LogEntry): string {
  return `id: ${entry.seq}\ndata: ${entry.json}\n\n`;
}

/** No `id:` on purpose: the contract's gap frame only carries the range retention dropped. */
export function gapFrame(gap: Gap): string {
  return `event: gap\ndata: {"fromSeq":${gap.fromSeq},"toSeq":${gap.toSeq}}\n\n`;
}
