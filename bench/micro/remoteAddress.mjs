// @ts-check
/**
 * The heap a server socket gains once its `remoteAddress` is read: Node caches the peer's
 * `{address, family, port}` on the socket. Holds SOCKETS loopback connections in this process,
 * then reads remoteAddress on every accepted socket between two forced GCs. Run with:
 *   node --expose-gc bench/micro/remoteAddress.mjs
 */
import net from 'node:net';
import { sleep } from '../../dist/util/sleep.js';

const SOCKETS = 5000;
const gc = /** @type {() => void} */ (globalThis.gc);
if (!gc) throw new Error('run with node --expose-gc');

/** @type {net.Socket[]} */
const accepted = [];
const server = net.createServer((s) => accepted.push(s));
await new Promise((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => r(undefined)));
const port = /** @type {net.AddressInfo} */ (server.address()).port;
/** @type {net.Socket[]} */
const clients = [];
// In batches, each accepted before the next: a burst past the accept queue is dropped by the kernel.
const BATCH = 250;
const deadline = Date.now() + 20_000;
while (clients.length < SOCKETS && Date.now() < deadline) {
  const batch = await Promise.all(
    Array.from(
      { length: Math.min(BATCH, SOCKETS - clients.length) },
      () =>
        new Promise((resolve, reject) => {
          const c = net.connect(port, '127.0.0.1', () => resolve(c));
          c.once('error', reject);
        }),
    ),
  );
  clients.push(.../** @type {net.Socket[]} */ (batch));
  while (accepted.length < clients.length && Date.now() < deadline) await sleep(5);
}
if (accepted.length < SOCKETS) throw new Error(`accepted ${accepted.length} of ${SOCKETS}`);

const heapUsed = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const before = heapUsed();
let chars = 0;
for (const s of accepted) chars += (s.remoteAddress ?? '').length;
const after = heapUsed();
console.log(
  `${SOCKETS} sockets: ${((after - before) / SOCKETS).toFixed(0)} bytes of heap per socket after reading remoteAddress (${chars} chars read)`,
);
for (const c of clients) c.destroy();
for (const s of accepted) s.destroy();
server.close();
