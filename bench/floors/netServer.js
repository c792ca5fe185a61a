// @ts-check
/**
 * The floor for the reference server: a bare `net` server that holds connections, broadcasts one
 * Buffer to all of them, or sends on the reference publisher's fixed schedule. Nothing else.
 */
import net from 'node:net';
import { forceGc, frameOf, nowUs, sample, serve } from './common.js';

/** @type {Set<net.Socket>} */
const sockets = new Set();
const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.on('error', () => undefined);
  socket.on('close', () => sockets.delete(socket));
});

serve(
  /** @param {import('./protocol.js').ToNetServer} m */
  (m, reply) => {
    switch (m.type) {
      case 'listen':
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
      case 'schedule':
        return schedule(m.ratePerSec, m.count, m.t0Us, m.frameBytes, reply);
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

/**
 * The reference publisher's loop (src/server/publisher.ts): frame k is due at t0 + k/rate, carries
 * that scheduled time, and a late timer sends everything due at once. The same loop on both sides
 * keeps timer lateness out of the ratio.
 * @param {number} ratePerSec
 * @param {number} count
 * @param {number} t0Us
 * @param {number} frameBytes
 * @param {(r: object) => void} reply
 */
function schedule(ratePerSec, count, t0Us, frameBytes, reply) {
  const intervalUs = 1e6 / ratePerSec;
  const scheduledUs = (/** @type {number} */ k) => Math.round(t0Us + k * intervalUs);
  let k = 0;
  const tick = () => {
    const now = nowUs();
    while (k < count && scheduledUs(k) <= now) {
      const t = scheduledUs(k);
      const frame = frameOf(String(t), frameBytes);
      for (const s of sockets) s.write(frame);
      k++;
    }
    if (k >= count) return reply({ type: 'schedule-done' });
    setTimeout(tick, Math.max(0, (scheduledUs(k) - nowUs()) / 1000));
  };
  tick();
}
