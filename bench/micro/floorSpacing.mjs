// The one-way floor between two processes at several frame spacings: a sender that spins until
// each frame is due (a child of this process) and this process as the receiver, its event loop
// either polling without sleeping (spin) or sleeping in epoll as any client does (sleep).
//   node bench/micro/floorSpacing.mjs spin|sleep [SPACING_US ...]   (default 2000 5000 10000)
import net from 'node:net';
import { fork } from 'node:child_process';

const FRAMES = 300;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

if (process.argv[2] === '--sender') {
  // Child: connect, then frames spacingUs apart, each stamped as it is written; bounded by FRAMES.
  const [port, spacingUs] = process.argv.slice(3).map(Number);
  const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => {
    let dueUs = nowUs() + spacingUs;
    for (let k = 0; k < FRAMES; k++, dueUs += spacingUs) {
      while (nowUs() < dueUs);
      s.write(`${nowUs()} ${'x'.repeat(150)}\n`);
    }
    s.end();
  });
} else {
  const mode = process.argv[2] === 'sleep' ? 'sleep' : 'spin';
  const spacings = process.argv.slice(3).map(Number);
  for (const spacingUs of spacings.length ? spacings : [2000, 5000, 10000]) {
    const us = await receive(spacingUs, mode);
    const at = (/** @type {number} */ q) => us[Math.min(us.length - 1, Math.floor(q * us.length))];
    console.log(
      `${mode} receiver, frames ${spacingUs} µs apart: p50 ${at(0.5)} µs, p90 ${at(0.9)} µs, p99 ${at(0.99)} µs (${us.length} frames)`,
    );
  }
}

/**
 * One sender's frames; the first fifth warm the path and are left out.
 * @param {number} spacingUs
 * @param {'spin' | 'sleep'} mode
 * @returns {Promise<number[]>}
 */
function receive(spacingUs, mode) {
  return new Promise((resolve) => {
    /** @type {number[]} */
    const latencies = [];
    let polling = mode === 'spin';
    const untilMs = Date.now() + 60_000;
    const poll = () => polling && Date.now() < untilMs && setImmediate(poll);
    const server = net.createServer((socket) => {
      let partial = '';
      socket.on('data', (chunk) => {
        const atUs = nowUs();
        const lines = (partial + chunk.toString('latin1')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) latencies.push(atUs - Number(line.slice(0, line.indexOf(' '))));
      });
      socket.on('end', () => {
        polling = false;
        server.close();
        resolve(latencies.slice(FRAMES / 5).sort((a, b) => a - b));
      });
    });
    server.listen(0, '127.0.0.1', () => {
      if (polling) setImmediate(poll);
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      fork(new URL(import.meta.url).pathname, ['--sender', String(port), String(spacingUs)]);
    });
  });
}
