import type { ServerHost, Subscriber } from '../types.js';
import type { Gap, LogEntry } from '../log.js';

/** What a new subscriber must be sent, in this order, before live entries. */
export interface Subscription {
  /** The starting cursor announced in the hello: messages after it follow. */
  startCursor: number;
  gap: Gap | undefined;
  backlog: LogEntry[];
}

/**
 * Registers `sub` with the hub, then reads its backlog. Registering first means nothing appended
 * afterwards can be missed; the subscriber's own last-seq check drops anything it would see twice.
 * No cursor = from now: no backlog. A cursor beyond the head is from a previous server life: the
 * head it is.
 */
export function subscribe(host: ServerHost, sub: Subscriber, cursor: number | null): Subscription {
  const log = host.log;
  const startCursor = cursor === null ? log.head : Math.min(cursor, log.head);
  host.hub.add(sub);
  if (cursor === null) return { startCursor, gap: undefined, backlog: [] };
  const read = log.readAfter(startCursor, sub.user);
  return { startCursor, gap: read.gap, backlog: read.entries };
}

/** A connection that writes each entry after its lastSeq once (websocket, tcp). */
export interface Stream extends Subscriber {
  lastSeq: number;
}

/**
 * Subscribes `stream` and starts it: the hello naming its starting cursor, a gap if retention
 * dropped some of what it asked for, then the backlog; live entries follow through the hub. All
 * synchronous, so nothing can be appended between reading the backlog and going live.
 */
export function startStream(
  host: ServerHost,
  stream: Stream,
  cursor: number | null,
  write: { hello(cursor: number): void; gap(gap: Gap): void },
): void {
  const sub = subscribe(host, stream, cursor);
  stream.lastSeq = sub.startCursor;
  write.hello(sub.startCursor);
  if (sub.gap) {
    write.gap(sub.gap);
    stream.lastSeq = Math.max(stream.lastSeq, sub.gap.toSeq);
  }
  for (const entry of sub.backlog) stream.push(entry);
}

/** A cursor from a query string or a HELLO: absent = from now; anything but a non-negative integer is invalid. */
export function parseCursor(raw: unknown): { cursor: number | null } | { invalid: string } {
  if (raw === null || raw === undefined) return { cursor: null };
  const n = typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return { cursor: n };
  return { invalid: typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? String(raw)) };
}

/**
 * A reader's user from a query string or a HELLO: an empty one is no user, so it reads broadcasts
 * only, the same in every model (docs/contract.md, Chat).
 */
export function parseUser(raw: string | null | undefined): string | undefined {
  return raw || undefined;
}
