// What the publisher alone (src/server/publisher.ts, no sockets) allocates per message, by function:
// every byte counts, collected young or not, since each young-generation collection stalls it.
//   npx tsc -p tsconfig.json; node bench/micro/publisherAlloc.mjs [RATE_PER_SEC] [SECONDS]
import { Session } from 'node:inspector/promises';
import { publishAlone } from './publisherAlone.mjs';

const ratePerSec = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 3);
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 512,
  includeObjectsCollectedByMinorGC: true,
  includeObjectsCollectedByMajorGC: true,
});
const { messages } = await publishAlone(ratePerSec, seconds);
const { profile } = await session.post('HeapProfiler.stopSampling');
if (!(messages > 0)) {
  console.error(`no message was published at ${ratePerSec}/s in ${seconds} s: give a rate and seconds above 0`);
  process.exit(2);
}

/** @type {Map<string, number>} */
const bytesBy = new Map();
/** @param {any} node */
function walk(node) {
  const f = node.callFrame;
  const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  if (node.selfSize) bytesBy.set(name, (bytesBy.get(name) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child);
}
walk(profile.head);
const total = [...bytesBy.values()].reduce((a, b) => a + b, 0);
console.log(`${ratePerSec}/s, ${messages} messages: ${(total / messages).toFixed(0)} B allocated per message (sampled), the largest:`);
for (const [name, bytes] of [...bytesBy].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
  console.log(`${(bytes / messages).toFixed(0).padStart(8)} B  ${name}`);
}
