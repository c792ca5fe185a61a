// @ts-check
/**
 * The floor for the simulated clients: bare `net` sockets that count newline-ended frames. Asked to
 * connect with TLS, bare `tls` sockets sharing one SecureContext: the floor of TLS's own cost. Given
 * a hello, each socket writes it once connected: the request that opens a library server's stream.
 */
import net from 'node:net';
import tls from 'node:tls';
import { forceGc, sample, serve } from './common.js';

const NEWLINE = 10;
/** Connects in flight at once: enough to be quick, few enough not to overflow the listen backlog. */
const CONNECTS_IN_FLIGHT = 200;

/** @type {net.Socket[]} */
const sockets = [];
/** Frames each socket has received since it connected. */
let counts = new Uint32Array(0);
/** @type {{ frames: number; done: number; timer: NodeJS.Timeout; reply: (r: object) => void } | undefined} */
let expecting;

serve(
  /** @param {import('./protocol.js').ToNetClient} m */
  async (m, reply) => {
    switch (m.type) {
      case 'connect':
        return reply(await connectAll(m.port, m.count, m.tls ? tls.createSecureContext({ ca: m.tls.caPem }) : undefined, m.hello));
      case 'sample':
        if (m.gc) forceGc();
        return reply(sample(sockets.length));
      case 'expect-frames':
        return expect(m.frames, m.timeoutMs, reply);
      case 'stop':
        for (const s of sockets) s.destroy();
        process.exit(0);
    }
  },
);

/**
 * @param {number} port
 * @param {number} count
 * @param {tls.SecureContext | undefined} secureContext
 * @param {string | undefined} hello
 */
async function connectAll(port, count, secureContext, hello) {
  let failed = 0;
  counts = new Uint32Array(count);
  for (let first = 0; first < count; first += CONNECTS_IN_FLIGHT) {
    const batch = [];
    for (let i = first; i < Math.min(count, first + CONNECTS_IN_FLIGHT); i++)
      batch.push(connectOne(port, i, secureContext, hello).catch(() => void failed++));
    await Promise.all(batch);
  }
  return { type: 'connected', count: sockets.length, failed };
}

/**
 * @param {number} port
 * @param {number} index
 * @param {tls.SecureContext | undefined} secureContext
 * @param {string | undefined} hello
 * @returns {Promise<void>}
 */
function connectOne(port, index, secureContext, hello) {
  return new Promise((resolve, reject) => {
    const s = secureContext
      ? tls.connect({ host: '127.0.0.1', port, secureContext })
      : net.connect({ host: '127.0.0.1', port, noDelay: true });
    s.once(secureContext ? 'secureConnect' : 'connect', () => {
      sockets.push(s);
      if (hello) s.write(hello);
      resolve();
    });
    s.once('error', reject);
    s.on('error', () => undefined);
    s.on('data', (chunk) => onData(index, chunk));
  });
}

/**
 * @param {number} index
 * @param {Buffer} chunk
 */
function onData(index, chunk) {
  let n = 0;
  for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) n++;
  if (n > 0) counted(index, n);
}

/**
 * @param {number} index
 * @param {number} n
 */
function counted(index, n) {
  const before = counts[index] ?? 0;
  counts[index] = before + n;
  if (expecting && before < expecting.frames && before + n >= expecting.frames && ++expecting.done === sockets.length) {
    clearTimeout(expecting.timer);
    expecting.reply({ type: 'frames-received', received: sum(), complete: true });
    expecting = undefined;
  }
}

/**
 * Replies once every socket has `frames` frames in all (at once when they already have).
 * @param {number} frames
 * @param {number} timeoutMs
 * @param {(r: object) => void} reply
 */
function expect(frames, timeoutMs, reply) {
  let done = 0;
  for (const c of counts) if (c >= frames) done++;
  if (done === sockets.length) return reply({ type: 'frames-received', received: sum(), complete: true });
  const timer = setTimeout(() => {
    expecting = undefined;
    reply({ type: 'frames-received', received: sum(), complete: false });
  }, timeoutMs);
  expecting = { frames, done, timer, reply };
}

function sum() {
  let total = 0;
  for (const c of counts) total += c;
  return total;
}
