// @ts-check
/**
 * The floor for the reference server: a bare `net` server that holds connections, broadcasts one
 * Buffer to all of them. Nothing else. Asked to listen with TLS, a bare `tls` server holding TLS
 * connections: the floor of TLS's own cost.
 */
import net from 'node:net';
import tls from 'node:tls';
import { forceGc, frameOf, sample, serve } from './common.js';

/** @type {Set<net.Socket>} */
const sockets = new Set();
/** @param {net.Socket} socket */
function hold(socket) {
  sockets.add(socket);
  socket.on('error', () => undefined);
  socket.on('close', () => sockets.delete(socket));
}
/** @type {net.Server} */
let server = net.createServer(hold);

serve(
  /** @param {import('./protocol.js').ToNetServer} m */
  (m, reply) => {
    switch (m.type) {
      case 'listen':
        if (m.tls) server = tls.createServer({ cert: m.tls.certPem, key: m.tls.keyPem }, hold);
        return new Promise((resolve) =>
          server.listen(0, '127.0.0.1', () => {
            reply({ type: 'listening', port: /** @type {net.AddressInfo} */ (server.address()).port });
            resolve(undefined);
          }),
        );
      case 'sample':
        if (m.gc) forceGc();
        return reply(sample(sockets.size));
      case 'broadcast':
        return broadcast(m.messages, m.frameBytes);
      case 'stop':
        for (const s of sockets) s.destroy();
        process.exit(0);
    }
  },
);

/**
 * Frame once, cork per batch: every socket gets the same Buffer, and each socket's frames leave in
 * one writev when it is uncorked.
 * @param {number} messages
 * @param {number} frameBytes
 */
function broadcast(messages, frameBytes) {
  const frame = Buffer.from(frameOf('m', frameBytes));
  const all = [...sockets];
  for (const s of all) s.cork();
  for (let k = 0; k < messages; k++) for (const s of all) s.write(frame);
  for (const s of all) s.uncork();
}
