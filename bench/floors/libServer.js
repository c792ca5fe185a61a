// @ts-check
/**
 * The peer of a reference server: the server a user writes with the library alone, holding idle
 * connections and nothing else. websocket: a `ws` WebSocketServer as its README shows it (ws keeps
 * the set of clients, one frame greets each); sse: a `node:http` server that sends an event
 * stream's head and keeps each response in a set to write to; long-poll: a `node:http` server that
 * holds each request for the `wait` it asks, in a set, until a timer answers it. None of
 * connbench, so the difference between this and the reference server is connbench's own per
 * connection, and the difference between this and the bare `net` server is the library's.
 */
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { forceGc, sample, serve } from './common.js';

/** The hold when a poll asks for none. */
const DEFAULT_HOLD_MS = 20_000;

/** @type {Set<http.ServerResponse>} open event streams, or held polls */
const responses = new Set();
/** @type {() => number} what the server holds now: WebSockets, open streams, held polls */
let heldCount = () => responses.size;

serve(
  /** @param {import('./protocol.js').ToLibServer} m */
  (m, reply) => {
    switch (m.type) {
      case 'listen':
        return listen(m.kind).then((port) => reply({ type: 'listening', port }));
      case 'sample':
        if (m.gc) forceGc();
        return reply(sample(heldCount()));
      case 'stop':
        process.exit(0);
      default:
        throw new Error(`the bare library server has no message ${/** @type {{ type: string }} */ (m).type}`);
    }
  },
);

/**
 * @param {import('./protocol.js').LibServerKind} kind
 * @returns {Promise<number>}
 */
function listen(kind) {
  return new Promise((resolve, reject) => {
    if (kind === 'websocket') {
      /** @type {WebSocketServer} */
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => resolve(portOf(wss.address())));
      wss.on('error', reject);
      wss.on('connection', (/** @type {import('ws').WebSocket} */ ws) => {
        ws.on('error', () => undefined);
        ws.on('message', () => undefined);
        // As the README's server greets each client, and as the reference server sends its hello.
        ws.send('{"type":"hello"}');
      });
      heldCount = () => wss.clients.size;
      return;
    }
    const server = http.createServer(kind === 'sse' ? stream : hold);
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(portOf(server.address())));
  });
}

/** @param {ReturnType<http.Server['address']>} address */
function portOf(address) {
  if (address === null || typeof address === 'string') throw new Error('the bare library server has no TCP port');
  return address.port;
}

/**
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
function stream(req, res) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(': open\n\n');
  responses.add(res);
  res.on('close', () => responses.delete(res));
}

/**
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
function hold(req, res) {
  const waitMs = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('wait') ?? DEFAULT_HOLD_MS);
  const timer = setTimeout(() => {
    res.writeHead(204);
    res.end();
  }, waitMs);
  responses.add(res);
  res.on('close', () => {
    clearTimeout(timer);
    responses.delete(res);
  });
}
