// The publisher alone (src/server/publisher.ts: no sockets, no server), shared by the micro
// benchmarks that measure what it costs: publisherLag.mjs and publisherAlloc.mjs.
const dist = (/** @type {string} */ p) => new URL(`../../dist/${p}`, import.meta.url).href;
const { MessageLog } = await import(dist('server/messageLog.js'));
const { Publisher } = await import(dist('server/publisher.js'));
const { nowUs } = await import(dist('metrics/clock.js'));

/** Its lateness is recorded after this much of the window: the first messages warm the code up. */
const WARMUP_US = 500_000;

/**
 * Publishes 128 B messages at `ratePerSec` for `seconds` and stops; resolves with the publisher
 * (its `lag` holds the lateness after the warm-up) and the number of messages it published.
 * @param {number} ratePerSec
 * @param {number} seconds
 */
export async function publishAlone(ratePerSec, seconds) {
  const log = new MessageLog(100_000);
  const t0Us = nowUs() + 20_000;
  const untilUs = t0Us + seconds * 1e6;
  const publisher = new Publisher(log, { ratePerSec, payloadBytes: 128, t0Us, untilUs, recordLagFromUs: t0Us + WARMUP_US });
  publisher.start();
  await new Promise((r) => setTimeout(r, seconds * 1000 + 50));
  const messages = publisher.stop(untilUs);
  return { publisher, messages };
}
