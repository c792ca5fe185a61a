// @ts-check
/**
 * The physical one-way floor's sender: one loopback socket to the receiver, and a loop that reads
 * the clock until each frame is due and writes it at once, stamped with the time of the write: no
 * timer, no event loop turn between the clock and the write.
 */
import net from 'node:net';
import { Spinner } from '../../dist/server/spin.js';
import { frameOf, nowUs, serve } from './common.js';

/** The server's own spin (src/server/spin.ts): it reads the clock, which allocates, at most every 50 µs, not in a tight loop. */
const spinner = new Spinner();

/** @type {net.Socket | undefined} */
let socket;

serve(
  /** @param {import('./protocol.js').ToOneWaySender} m */
  async (m, reply) => {
    switch (m.type) {
      case 'connect':
        socket = net.connect({ host: '127.0.0.1', port: m.port, noDelay: true });
        await new Promise((resolve, reject) => {
          socket?.once('connect', resolve);
          socket?.once('error', reject);
        });
        return reply({ type: 'connected' });
      case 'send':
        sendAll(m.frames, m.intervalUs, m.frameBytes);
        return reply({ type: 'sent' });
      case 'stop':
        socket?.destroy();
        process.exit(0);
    }
  },
);

/**
 * Frame k is due intervalUs after frame k-1; the spin is bounded by the schedule itself.
 * @param {number} frames
 * @param {number} intervalUs
 * @param {number} frameBytes
 */
function sendAll(frames, intervalUs, frameBytes) {
  const s = /** @type {net.Socket} */ (socket);
  const padding = frameOf('0000000000000000', frameBytes).slice(17);
  let dueUs = nowUs() + intervalUs;
  for (let k = 0; k < frames; k++) {
    spinner.until(dueUs);
    s.write(`${nowUs()} ${padding}`);
    dueUs += intervalUs;
  }
}
