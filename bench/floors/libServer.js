// @ts-check
/**
 * The peer of a reference server: the server a user writes with the library alone, holding idle
 * connections and nothing else. websocket: a `ws` WebSocketServer as its README shows it; sse: a
 * `node:http` server that sends an event stream's head and keeps the response open; long-poll: a
 * `node:http` server that holds each request until a timer answers it. None of connbench, so the
 * difference between this and the reference server is connbench's own per connection, and the
 * difference between this and the bare `net` server is the library's.
 */
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { forceGc, sample, serve } from './common.js';

/** As long as the bench's memory runs hold a poll: no poll is answered while they sample. */
const HOLD_MS = 60_000;

/** @type {Set<unknown>} what each connection holds: a WebSocket, an open response, a held poll */
const held = new Set();
/** @type {http.Server | WebSocketServer | undefined} */
let server;

serve(
  /** @param {import('./protocol.js').ToLibServer} m */
  (m, reply) => {
    switch (m.type) {
      case 'listen':
        return listen(m.kind).then((port) => reply({ type: 'listening', port }));
      case 'sample':
        if (m.gc) forceGc();
        return reply(sample(held.size));
      case 'stop':
        process.exit(0);
    }
  },
);

/**
 * @param {'websocket' | 'sse' | 'long-poll'} kind
 * @returns {Promise<number>}
 */
function listen(kind) {
  return new Promise((resolve) => {
    const ready = () => resolve(/** @type {import('node:net').AddressInfo} */ (server?.address()).port);
    if (kind === 'websocket') {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 }, ready);
      wss.on('connection', (ws) => {
        held.add(ws);
        ws.on('error', () => undefined);
        ws.on('message', () => undefined);
        ws.on('close', () => held.delete(ws));
      });
      server = wss;
      return;
    }
    const httpServer = http.createServer(kind === 'sse' ? stream : hold);
    httpServer.listen(0, '127.0.0.1', ready);
    server = httpServer;
  });
}

/**
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
function stream(req, res) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(': open\n\n');
  held.add(res);
  res.on('close', () => held.delete(res));
}

/**
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
function hold(req, res) {
  const poll = {
    res,
    timer: setTimeout(() => {
      res.writeHead(204);
      res.end();
    }, HOLD_MS),
  };
  held.add(poll);
  res.on('close', () => {
    clearTimeout(poll.timer);
    held.delete(poll);
  });
}
