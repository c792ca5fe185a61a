import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ConnbenchError } from '../util/errors.js';
import type { Incoming, Outgoing } from './message.js';
import type { Gap, LogEntry, LogReader } from './log.js';

export const MODEL_IDS = ['short-poll', 'long-poll', 'sse', 'websocket', 'tcp'] as const;
export type ModelId = (typeof MODEL_IDS)[number];

/** Heartbeat settings shared by every model (each maps them to its own mechanism). */
export interface HeartbeatSettings {
  intervalMs: number;
  /** No heartbeat (or data) from the peer within this long: the peer is dead. */
  timeoutMs: number;
}

/** Settings a model server reads; resolved from the scenario by the runner. */
export interface ServerSettings {
  heartbeat: HeartbeatSettings;
  /** The longest a long poll may be held (a client's `wait` is capped to this). */
  maxHoldMs: number;
  /** SSE `retry:` the server announces once per stream. */
  sseRetryMs: number;
  /** TCP keep-alive on the server's sockets, first probe after this long idle (src/models/keepAlive.ts); absent = off. */
  tcpKeepAliveMs?: number;
  /**
   * SSE only: ask each client to echo every heartbeat comment with `POST /events/alive`, so the
   * server can detect a dead client (SSE carries nothing upstream). Costs the client a second
   * connection and a request per interval; absent = off.
   */
  sseEcho?: boolean;
}

/** A live subscription a push model registers with the hub. */
export interface Subscriber {
  /** The chat user this subscriber reads for; undefined = broadcast only. */
  user: string | undefined;
  /** Called for every new entry addressed to this subscriber, in order. Must not throw. */
  push(entry: LogEntry): void;
}

/** Routes new log entries to subscribers: all of them for broadcast, by user for chat. */
export interface SubscriberHub {
  add(sub: Subscriber): void;
  remove(sub: Subscriber): void;
  readonly size: number;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void;

/** What the reference server offers a model server: the log, the hub, and its listeners. */
export interface ServerHost {
  readonly log: LogReader;
  readonly hub: SubscriberHub;
  readonly settings: ServerSettings;
  /** Registers `GET|POST path` on the shared HTTP listener. A second registration of a path is ignored. */
  route(method: 'GET' | 'POST', path: string, handler: HttpHandler): void;
  /** Registers an HTTP upgrade handler for a path on the shared HTTP listener. */
  upgrade(path: string, handler: UpgradeHandler): void;
  /** Registers the connection handler of the raw TCP listener (its own port). */
  tcp(handler: (socket: Socket) => void): void;
  /** A chat send arriving on a model's own connection (websocket, tcp): appended to the log. */
  accept(from: string | undefined, m: Outgoing): LogEntry;
  /** Counts a model-level event (e.g. 'badRequests') for the report. */
  count(name: string, by?: number): void;
  /**
   * A peer stayed silent past the heartbeat timeout and the model is ending its connection: counted
   * as `heartbeatTimeouts`, and the moment is recorded (the heartbeat lab's server-side detection time).
   */
  deadPeer(): void;
}

export interface ModelServer {
  attach(host: ServerHost): void;
  /** Ends every connection this model holds; resolves when they are gone. */
  close(): Promise<void>;
}

/** Where and how a simulated client connects. */
export interface ClientOptions {
  clientId: number;
  /** Chat user this client reads for (`u<clientId>`); always sent, ignored by broadcast. */
  user: string;
  host: string;
  httpPort: number;
  tcpPort: number;
  /** Source address to bind (127.0.0.2, …) so one destination's ephemeral ports stretch further. */
  localAddress?: string;
  /** Resume point: the last seq seen; null = "from now on" (the server's head). */
  cursor: number | null;
  heartbeat: HeartbeatSettings;
  shortPollIntervalMs: number;
  longPollHoldMs: number;
  /**
   * This client's own undici dispatcher (at most two keep-alive connections: one for polls or the
   * stream, one for chat sends, as a browser would open). Only for models with `usesDispatcher`.
   */
  dispatcher: Dispatcher;
  /** TCP keep-alive on the client's sockets, first probe after this long idle (src/models/keepAlive.ts); absent = off. */
  tcpKeepAliveMs?: number;
  /** SSE only: the `eventsource` reference client (default) or the lean raw-socket one (src/models/sse/clientChoice.ts). */
  sseClient?: 'reference' | 'lean';
}

/** What a model client reports; the worker's session tracks sequences and latency from it. */
export interface ClientHandler {
  /** The server told us our starting cursor (first response, HELLO, first event, …). */
  onSubscribed(cursor: number, atUs: number): void;
  onMessage(m: Incoming, atUs: number): void;
  /** Retention dropped messages this client had not seen: they are lost, counted as such. */
  onGap(gap: Gap, atUs: number): void;
  /** Counted under its code; the connection may or may not survive it. */
  onError(e: ConnbenchError): void;
  /** Heartbeat sent or answered; bytes counted for wire cost. */
  onHeartbeat?(atUs: number): void;
  /** The connection (or poll loop) ended; called exactly once per connect(). */
  onClose(atUs: number): void;
}

/**
 * One connection attempt. Reconnecting is the session's job (src/client/session.ts): it makes a new
 * client with the cursor it has reached, so every model resumes the same way.
 */
export interface ModelClient {
  /** Resolves once subscribed (onSubscribed called); rejects with a ConnbenchError on failure. */
  connect(signal?: AbortSignal): Promise<void>;
  /** Chat: send a message to another user (websocket/tcp on their connection, HTTP models by POST /send). */
  send?(m: Outgoing): void;
  /** Closes the connection; onClose is still called once. */
  close(): Promise<void>;
}

export interface Model {
  id: ModelId;
  /** One line for `connbench list` and reports. */
  title: string;
  /** Whether its clients make requests through `ClientOptions.dispatcher` (the HTTP models). */
  usesDispatcher: boolean;
  /**
   * Whether its clients reach the server only through a heartbeat echo the server asks for
   * (`ServerSettings.sseEcho`, on a second connection): without it the server hears nothing from
   * them and cannot detect a dead one.
   */
  needsHeartbeatEcho: boolean;
  createServer(): ModelServer;
  createClient(o: ClientOptions, h: ClientHandler): ModelClient;
}
