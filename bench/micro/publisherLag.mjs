// The publisher alone (src/server/publisher.ts, no sockets): its lateness per message and the CPU
// its waiting costs, at one rate, over a window after half a second of warm-up.
//   npx tsc -p tsconfig.json; node bench/micro/publisherLag.mjs RATE_PER_SEC [SECONDS]
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { publishAlone } from './publisherAlone.mjs';

const ratePerSec = Number(process.argv[2] ?? 100);
const seconds = Number(process.argv[3] ?? 4);
// Young-generation collections in the window and their pauses: each is a stall the publisher cannot spin through.
const young = { count: 0, pauseUs: 0 };
const gcs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const detail = /** @type {{ kind?: number } | undefined} */ (/** @type {any} */ (e).detail);
    if (detail?.kind !== constants.NODE_PERFORMANCE_GC_MINOR) continue;
    young.count++;
    young.pauseUs += e.duration * 1000;
  }
});
gcs.observe({ entryTypes: ['gc'] });
const cpu0 = process.cpuUsage();
const { publisher } = await publishAlone(ratePerSec, seconds);
const cpu = process.cpuUsage(cpu0);
gcs.disconnect();
const h = publisher.lag.flush();
const cpuPercent = (cpu.user + cpu.system) / 1e4 / seconds;
console.log(
  `${ratePerSec}/s: ${h.totalCount} messages, lateness p50 ${h.getValueAtPercentile(50)} µs, p99 ${h.getValueAtPercentile(99)} µs, ` +
    `max ${h.maxValue} µs; CPU ${cpuPercent.toFixed(1)} % of a core (${((cpu.user + cpu.system) / (ratePerSec * seconds)).toFixed(0)} µs a message); ` +
    `${young.count} young collections, ${young.pauseUs.toFixed(0)} µs in all`,
);
