// @ts-check
/**
 * What an undici dispatcher costs before it connects, per instance: the Pool each simulated HTTP
 * client had before commit 6c508cd (its options, its own connector), and the Client that
 * src/client/dispatchers.ts now makes on first use (same options, one shared connector). Builds
 * COUNT of one kind in this process between forced GCs; nothing connects (the origin is never
 * dialled). One kind per process, since a second kind would reuse the pages the first one freed and
 * show too little RSS. Run with:
 *   node --expose-gc bench/micro/undiciDispatchers.mjs pool
 *   node --expose-gc bench/micro/undiciDispatchers.mjs client
 */
import { Client, Pool, buildConnector } from 'undici';

const COUNT = 2000;
const ORIGIN = 'http://127.0.0.1:9';
const KEEP_ALIVE_MS = 600_000;
const gc = /** @type {() => void} */ (globalThis.gc);
if (!gc) throw new Error('run with node --expose-gc');

/** @returns {{ heapUsed: number, rss: number }} */
const settled = () => {
  gc();
  gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
};

/**
 * @param {string} name
 * @param {() => object} make
 */
function perInstance(name, make) {
  const held = [];
  const a = settled();
  for (let i = 0; i < COUNT; i++) held.push(make());
  const b = settled();
  const kib = (/** @type {number} */ bytes) => (bytes / COUNT / 1024).toFixed(1);
  console.log(`${name}: ${kib(b.heapUsed - a.heapUsed)} KiB heap, ${kib(b.rss - a.rss)} KiB RSS per instance (${held.length} held)`);
}

const options = { pipelining: 1, keepAliveTimeout: KEEP_ALIVE_MS, keepAliveMaxTimeout: KEEP_ALIVE_MS };
const connector = buildConnector({});
const kind = process.argv[2];
if (kind === 'pool') perInstance('Pool (connections 2, own connector)', () => new Pool(ORIGIN, { ...options, connections: 2 }));
else if (kind === 'client') perInstance('Client (shared connector)', () => new Client(ORIGIN, { ...options, connect: connector }));
else throw new Error(`say which: pool or client (got ${kind})`);
