// @ts-check
/**
 * The physical one-way floor's receiver: one loopback socket, read by an event loop that never
 * sleeps while the run lasts (setImmediate keeps libuv polling with a zero timeout), so a frame is
 * stamped as soon as the kernel has it, with no wake-up from epoll and no timer. Each frame carries
 * the time the sender wrote it; what the receiver records is its arrival minus that.
 */
import net from 'node:net';
import { nowUs, quantileOf, serve } from './common.js';

/** The busy poll stops by itself after this long, whatever the parent says. */
const MAX_POLL_MS = 60_000;

/** @type {net.Server | undefined} */
let server;
/** One-way latencies, microseconds, in arrival order. */
const latencies = /** @type {number[]} */ ([]);
let polling = false;
let partial = '';

serve(
  /** @param {import('./protocol.js').ToOneWayReceiver} m */
  async (m, reply) => {
    switch (m.type) {
      case 'listen':
        server = net.createServer((socket) => {
          socket.setNoDelay(true);
          socket.on('data', onData);
        });
        await new Promise((resolve) => server?.listen(0, '127.0.0.1', () => resolve(undefined)));
        return reply({ type: 'listening', port: /** @type {net.AddressInfo} */ (server.address()).port });
      case 'poll':
        startPolling();
        return reply({ type: 'polling' });
      case 'latency':
        polling = false;
        return reply(summary(m.frames));
      case 'stop':
        process.exit(0);
    }
  },
);

function startPolling() {
  polling = true;
  const untilMs = Date.now() + MAX_POLL_MS;
  const spin = () => {
    if (polling && Date.now() < untilMs) setImmediate(spin);
  };
  setImmediate(spin);
}

/** @param {Buffer} chunk */
function onData(chunk) {
  const atUs = nowUs();
  let text = partial + chunk.toString('latin1');
  let nl;
  while ((nl = text.indexOf('\n')) !== -1) {
    latencies.push(atUs - Number(text.slice(0, text.indexOf(' '))));
    text = text.slice(nl + 1);
  }
  partial = text;
}

/**
 * p50 and p99 of the last `frames` latencies (the first ones warm the path up).
 * @param {number} frames
 * @returns {import('./protocol.js').FromOneWayReceiver}
 */
function summary(frames) {
  const us = latencies.slice(-frames).sort((a, b) => a - b);
  return { type: 'latency', p50Us: quantileOf(us, 0.5), p99Us: quantileOf(us, 0.99), count: us.length };
}
