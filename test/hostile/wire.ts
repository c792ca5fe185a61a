import net from 'node:net';
import { expect } from 'vitest';
import { ReferenceHost, type HostOptions } from '../../src/server/host.js';
import { allModels } from '../../src/models/index.js';
import type { ModelServer, ServerSettings } from '../../src/models/types.js';
import type { Ports } from '../../src/models/listeners.js';
import { clientHelloFrame } from '../../src/models/tcp/protocol.js';
import { FrameType } from '../../src/models/tcp/framing.js';
import { testOptions, waitFor } from '../helpers/harness.js';

/**
 * Raw-socket tools for the hostile-input suite: a reference host in this process with short limits,
 * an exchange that writes bytes and reads what comes back until the server closes, and the check
 * that a well-behaved client of every listener is still served afterwards.
 */

/** Short limits, so each case ends in well under a second: a stall of 500 ms, a queue of 64 KiB. */
export const HOSTILE_SETTINGS: ServerSettings = {
  heartbeat: { intervalMs: 200, timeoutMs: 600 },
  stallTimeoutMs: 500,
  slowReaderQueueBytes: 64 * 1024,
};

export interface Started {
  host: ReferenceHost;
  ports: Ports;
  httpPort: number;
  tcpPort: number;
}

const hosts: ReferenceHost[] = [];
const sockets: net.Socket[] = [];

/** Every model attached (or the given servers), on free ports, headers due within 500 ms. */
export async function start(extra: Partial<HostOptions> = {}, servers?: ModelServer[]): Promise<Started> {
  const host = new ReferenceHost({
    retention: 1000,
    settings: HOSTILE_SETTINGS,
    ports: { http: 0, tcp: 0 },
    headersTimeoutMs: 500,
    ...extra,
  });
  for (const m of servers ?? allModels().map((model) => model.createServer(testOptions(model)))) host.attach(m);
  hosts.push(host);
  const ports = await host.listen();
  return { host, ports, httpPort: ports.http!, tcpPort: ports.tcp! };
}

/** For afterEach: every socket and host of the test closed. */
export async function cleanUp(): Promise<void> {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(hosts.splice(0).map((h) => h.close()));
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    sockets.push(s);
    s.once('error', reject);
  });
}

export interface Exchange {
  bytes: Buffer;
  text: string;
  status: number;
  json: Record<string, unknown> | undefined;
  /** The server ended the connection (we never do first). */
  closedByServer: boolean;
  /** From writing the request to the close, or to the end of the wait. */
  elapsedMs: number;
}

export interface ExchangeOptions {
  waitMs?: number;
  /** Called once connected, after `request` is written: may keep writing. */
  onConnected?: (s: net.Socket) => void;
  /** Stop once the bytes so far are enough (the connection stays open). */
  enough?: (received: Buffer) => boolean;
}

/** Writes `request` on a fresh connection and reads until the server closes, `enough`, or `waitMs` passes. */
export async function exchange(port: number, request: string | Buffer, o: ExchangeOptions = {}): Promise<Exchange> {
  const s = await connect(port);
  const chunks: Buffer[] = [];
  let closedByServer = false;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, o.waitMs ?? 5000);
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      if (o.enough?.(Buffer.concat(chunks))) {
        clearTimeout(timer);
        resolve();
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      closedByServer = true;
      clearTimeout(timer);
      resolve();
    });
    s.write(request);
    o.onConnected?.(s);
  });
  const elapsedMs = performance.now() - t0;
  s.destroy();
  const bytes = Buffer.concat(chunks);
  const text = bytes.toString('latin1');
  const bodyAt = text.indexOf('\r\n\r\n');
  let json: Record<string, unknown> | undefined;
  try {
    json = bodyAt >= 0 ? (JSON.parse(text.slice(bodyAt + 4)) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { bytes, text, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), json, closedByServer, elapsedMs };
}

export const get = (path: string, headers = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`;

export const WS_KEY_HEADERS =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

export const upgrade = (path: string, headers = WS_KEY_HEADERS, method = 'GET') =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;

/** A client frame as RFC 6455 lays it out: masked with an all-zero key (the payload is then as given) unless `masked` is false. */
export function wsFrame(
  opcode: number,
  payload: Buffer,
  o: { fin?: boolean; masked?: boolean; rsv1?: boolean; length?: bigint } = {},
): Buffer {
  const first = ((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | opcode;
  const mask = (o.masked ?? true) ? 0x80 : 0;
  const length = o.length ?? BigInt(payload.length);
  let head: Buffer;
  if (length < 126n) head = Buffer.from([first, mask | Number(length)]);
  else if (length < 65536n) head = Buffer.from([first, mask | 126, Number(length) >> 8, Number(length) & 0xff]);
  else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = mask | 127;
    head.writeBigUInt64BE(length, 2);
  }
  return Buffer.concat([head, ...(mask ? [Buffer.alloc(4)] : []), payload]);
}

/** The close code of the first close frame the server sent after its 101, or undefined when none came. */
export function closeCodeOf(received: Buffer): number | undefined {
  const headEnd = received.indexOf('\r\n\r\n');
  let at = headEnd < 0 ? received.length : headEnd + 4;
  while (at + 2 <= received.length) {
    const opcode = received[at]! & 0x0f;
    let length = received[at + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      length = received.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      length = Number(received.readBigUInt64BE(at + 2));
      header = 10;
    }
    if (opcode === 0x8) return length >= 2 ? received.readUInt16BE(at + header) : 1005;
    at += header + length;
  }
  return undefined;
}

/** The types of the whole tcp frames in `b` (4-byte length, then that many bytes: the type and the body). */
export function tcpFrameTypes(b: Buffer): number[] {
  const types: number[] = [];
  for (let at = 0; at + 5 <= b.length && at + 4 + b.readUInt32BE(at) <= b.length; at += 4 + b.readUInt32BE(at)) types.push(b[at + 4]!);
  return types;
}

/** The server's HELLO is back; a heartbeat PING may come before it on a busy machine (every 200 ms here). */
export const tcpHelloBack = (b: Buffer) => tcpFrameTypes(b).includes(FrameType.HELLO);

/** A raw tcp frame with any length and type, body as given (unlike encodeFrame, which refuses bad ones). */
export function rawTcpFrame(length: number, type: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(length, 0);
  head[4] = type;
  return Buffer.concat([head, body]);
}

/**
 * Proves every listener still serves a well-behaved client (a poll, an event stream, a websocket and
 * a tcp HELLO), and that once they and the attack's connections are closed the server holds
 * nothing for them: no connection, no subscriber (`held`: connections the test still keeps open).
 */
export async function stillServes(s: Started, held = 0): Promise<void> {
  // Each check's connection is gone on the server's side before the next opens: under maxConnections they would queue for a slot.
  const released = () =>
    waitFor(() => s.host.openConnections <= held && s.host.hub.size <= held, 'the server to let go of closed connections', 5000);
  const poll = await exchange(s.httpPort, get('/poll'));
  expect(poll.status, 'GET /poll').toBe(200);
  expect(poll.json, 'GET /poll').toMatchObject({ messages: [] });
  await released();
  const sse = await exchange(s.httpPort, get('/events'), { enough: (b) => b.includes('event: hello') });
  expect(sse.status, 'GET /events').toBe(200);
  await released();
  const ws = await exchange(s.httpPort, upgrade('/ws'), { enough: (b) => b.includes('"type":"hello"') });
  expect(ws.text, 'GET /ws').toMatch(/^HTTP\/1\.1 101 .*"type":"hello"/s);
  await released();
  const tcp = await exchange(s.tcpPort, clientHelloFrame(null, 'u1'), { enough: tcpHelloBack });
  expect(tcpFrameTypes(tcp.bytes), 'tcp HELLO').toContain(FrameType.HELLO);
  await released();
}
