// The first step of the server's publish path (encodeMessage), timed right after the publisher's
// own wait, in two waits taken by turns: a futex sleep of most of the interval then the spin
// (what the on-time publisher does at low rates), or the spin for the whole interval (a process
// that never sleeps, like the physical floor's sender). The spin touches almost no memory, so
// whatever the core ran while this process slept is what the encode finds in its caches.
//   npx tsc -p tsconfig.json; node bench/micro/coldPath.mjs [ROUNDS] [PAYLOAD_BYTES]
import { Spinner } from '../../dist/server/spin.js';
import { encodeMessage, paddingOf } from '../../dist/models/message.js';
import { spinBefore } from '../../dist/server/onTime.js';
import { nowUs, quantileOf } from '../floors/common.js';

const rounds = Number(process.argv[2] ?? 300);
const payloadBytes = Number(process.argv[3] ?? 64);
if (!Number.isInteger(rounds) || rounds < 10 || !Number.isInteger(payloadBytes) || payloadBytes < 0) {
  console.error('usage: node bench/micro/coldPath.mjs [ROUNDS >= 10] [PAYLOAD_BYTES >= 0]');
  process.exit(2);
}
/** The latency bench's spacing (100 messages/s), and the spin the publisher takes before each at it when its wakes are prompt. */
const INTERVAL_US = 10_000;
const SPIN_US = spinBefore(INTERVAL_US, 0);

const spinner = new Spinner();
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const body = paddingOf(payloadBytes);
/** @type {Record<'sleep' | 'spin', number[]>} */
const encodeUs = { sleep: [], spin: [] };
/** The same encode again at once, after either wait: the path with everything it touches just touched. */
const againUs = /** @type {number[]} */ ([]);
let seq = 0;

for (let r = 0; r < rounds; r++) {
  for (const mode of /** @type {const} */ (['sleep', 'spin'])) {
    const dueUs = nowUs() + INTERVAL_US;
    if (mode === 'sleep') Atomics.wait(sleepCell, 0, 0, (INTERVAL_US - SPIN_US) / 1000);
    spinner.until(dueUs);
    const startUs = nowUs();
    encodeMessage({ seq: ++seq, t: startUs, body });
    const againStartUs = nowUs();
    encodeMessage({ seq: ++seq, t: againStartUs, body });
    const endUs = nowUs();
    encodeUs[mode].push(againStartUs - startUs);
    againUs.push(endUs - againStartUs);
  }
}

/** @type {[string, number[]][]} */
const rows = [
  ['after a sleep then the spin', encodeUs.sleep],
  ['after the spin alone', encodeUs.spin],
  ['again at once', againUs],
];
for (const [name, values] of rows) {
  const v = values.sort((a, b) => a - b);
  console.log(
    `encode of a ${payloadBytes} B message ${name}: p50 ${quantileOf(v, 0.5)} µs, p90 ${quantileOf(v, 0.9)} µs, ` +
      `max ${v[v.length - 1]} µs (${v.length} encodes)`,
  );
}
