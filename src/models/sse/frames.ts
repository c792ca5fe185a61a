import type { Gap, LogEntry } from '../../server/messageLog.js';

/**
 * The text/event-stream frames of connbench's SSE wire contract (DESIGN.md), built as strings so
 * the server writes each with one res.write and the tests can assert on exact bytes.
 */

/** A comment line then the blank line that ends it: the cheapest bytes that prove the stream lives. */
export const HEARTBEAT_FRAME = ':\n\n';

/** The first write of every stream: the reconnection delay once, then the starting cursor. */
export function helloFrame(cursor: number, retryMs: number): string {
  return `retry: ${retryMs}\nevent: hello\nid: ${cursor}\ndata: {"cursor":${cursor}}\n\n`;
}

export function messageFrame(entry: LogEntry): string {
  return `id: ${entry.seq}\ndata: ${entry.json}\n\n`;
}

/** No `id:` on purpose: the contract's gap frame only carries the range retention dropped. */
export function gapFrame(gap: Gap): string {
  return `event: gap\ndata: {"fromSeq":${gap.fromSeq},"toSeq":${gap.toSeq}}\n\n`;
}
