import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { ListenerKind, Ports } from './listeners.js';
import type { ConnbenchError } from '../util/errors.js';
import type { Incoming, Outgoing } from './message.js';
import type { Gap, LogEntry, LogReader } from './log.js';
import type { Transport } from './transport.js';

/** A registered model's id (`getModel` checks one; the registry in src/models/index.ts lists them). */
export type ModelId = string;

/** Heartbeat settings shared by every model (each maps them to its own mechanism). */
export interface HeartbeatSettings {
  intervalMs: number;
  /** No heartbeat (or data) from the peer within this long: the peer is dead. */
  timeoutMs: number;
}

/** Settings every model server reads; a model's own settings are its options (`ModelDefinition.section`). */
export interface ServerSettings {
  heartbeat: HeartbeatSettings;
  /** TCP keep-alive on the server's sockets, first probe after this long idle (src/models/keepAlive.ts); absent = off. */
  tcpKeepAliveMs?: number;
  /** Unsent bytes a connection may hold past one write before it is cut as a slow reader (src/models/serverLimits.ts); absent = the default. */
  slowReaderQueueBytes?: number;
  /** A request or tcp frame must arrive in full within this long of its first byte (src/models/serverLimits.ts); absent = the default. */
  stallTimeoutMs?: number;
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
  /** The port of the model's listener (`ModelDefinition.listener`) on `host`. */
  port: number;
  /** Source address to bind (127.0.0.2, …) so one destination's ephemeral ports stretch further. */
  localAddress?: string;
  /**
   * How the client opens a connection of its own (websocket, tcp, the lean SSE client) and which
   * scheme its URLs have; HTTP requests go through `dispatcher`, made over the same transport.
   * Absent: plain TCP (PLAIN_TRANSPORT).
   */
  transport?: Transport;
  /** Resume point: the last seq seen; null = "from now on" (the server's head). */
  cursor: number | null;
  heartbeat: HeartbeatSettings;
  /**
   * This client's own undici dispatcher (at most two keep-alive connections: one for polls or the
   * stream, one for chat sends, as a browser would open). Only for models with `usesDispatcher`.
   */
  dispatcher: Dispatcher;
  /** TCP keep-alive on the client's sockets, first probe after this long idle (src/models/keepAlive.ts); absent = off. */
  tcpKeepAliveMs?: number;
  /** The clients of this run point over all workers: a model may choose a lighter client where many run. */
  clientsInPoint: number;
  /** The model's own options (its scenario section, resolved); its definition reads them typed. */
  modelOptions: unknown;
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

/** One line of `connbench serve`'s list of endpoints: how to reach this model by hand. */
export interface Endpoint {
  /** The HTTP method, or '' for a raw TCP port. */
  method: 'GET' | 'POST' | '';
  /** A URL, or host:port. */
  target: string;
  /** What a user needs to know to use it, in a few words. */
  note?: string;
}

/** Where `connbench serve` listens: the host, the port of each listener it opened, and whether they speak TLS. */
export interface EndpointBase {
  host: string;
  ports: Ports;
  secure: boolean;
}

/**
 * A model's own section of a scenario (`sse:`, `shortPoll:`): the zod schema of the section
 * (fields with defaults and descriptions), the fields that may hold a list (matrix axes, one run
 * per value), and how a parsed section (every axis at one value) becomes the options its server
 * and clients read, and back into text with units. The scenario schema, the matrix, `validate
 * --resolved` and the result JSON are made of these.
 */
export interface ModelSection<O> {
  /** The section's key in a scenario file and in the result JSON's `scenario`. */
  key: string;
  schema: z.ZodObject;
  /** Fields of the section that accept a list, in matrix order (first slowest). */
  axes: readonly string[];
  resolve(section: Record<string, unknown>): O;
  input(options: O): Record<string, unknown>;
}

/**
 * A connection model: its folder declares everything the rest of connbench needs to run, plan,
 * list and serve it, so a new model is one folder and one line in the registry. `O` is its own
 * resolved options (`section`; undefined for a model without a section).
 */
export interface ModelDefinition<O> {
  id: ModelId;
  /** One line for `connbench list` and reports. */
  title: string;
  /** The listener its server attaches to and its clients connect to. */
  listener: ListenerKind;
  /** Whether its clients make requests through `ClientOptions.dispatcher` (the HTTP models). Default false. */
  usesDispatcher?: boolean;
  /**
   * Whether its clients reach the server only through a heartbeat echo the server asks for (on a
   * second connection): without it the server hears nothing from them and cannot detect a dead one.
   * Default false.
   */
  needsHeartbeatEcho?: boolean;
  section?: ModelSection<O>;
  createServer(options: O): ModelServer;
  createClient(o: ClientOptions & { modelOptions: O }, h: ClientHandler): ModelClient;
  /** How to reach it on a server that `connbench serve` runs. */
  endpoints(at: EndpointBase, settings: ServerSettings, options: O): Endpoint[];
  /** Why a client opens a second connection in this workload, if it does (the planner counts its sockets). Default: never. */
  secondConnection?(options: O, workload: { pattern: string }): string | undefined;
  /**
   * The peak memory one connection costs the server and a client worker, for refusing a run that
   * cannot fit before it starts (src/runner/memoryPerConnection.ts says how these were measured).
   */
  peakBytesPerConnection(options: O, clients: number): { serverBytes: number; clientBytes: number };
  /** How long the drain may wait for a client to ask again (a short poll's interval); for a run's time estimate. Default 0. */
  drainAllowanceMs?(options: O): number;
  /**
   * At most how many connections one client opens per second in this workload: 0 when it keeps
   * one connection for its life; a poll per connection (HTTP keep-alive off) opens one per poll.
   * The planner refuses a point whose new connections would run out of ephemeral ports. Default 0.
   */
  newConnectionsPerSec?(options: O, workload: { pattern: string; ratePerSec: number; roomSize: number }): number;
  /**
   * Its options in the heartbeat lab at heartbeat interval `intervalMs`: the model's heartbeat
   * follows the interval (a long poll's hold, a short poll's pause); `echo` asks clients that need
   * it to echo heartbeats, so the server can detect a dead one.
   */
  labOptions(intervalMs: number, lab: { echo: boolean }): O;
}

/** A model as the registry holds it, every default filled in: its options are its own business. */
export type Model = Required<Omit<ModelDefinition<unknown>, 'section'>> & Pick<ModelDefinition<unknown>, 'section'>;

/** Checks a definition against its own options type, fills in the defaults, and erases the type for the registry. */
export function defineModel<O>(m: ModelDefinition<O>): Model {
  const model: ModelDefinition<O> = {
    usesDispatcher: false,
    needsHeartbeatEcho: false,
    secondConnection: () => undefined,
    drainAllowanceMs: () => 0,
    newConnectionsPerSec: () => 0,
    ...m,
  };
  return model as unknown as Model;
}
