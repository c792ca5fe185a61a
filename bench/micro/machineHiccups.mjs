// What this machine does to a process's timing, with nothing of connbench in it:
// 1. a loop that only reads the clock for SECONDS: every gap over 100 µs is time the core was taken
//    away (other processes, the hypervisor), which no publisher can avoid;
// 2. 2000 futex sleeps (Atomics.wait) of 100, 300 and 1000 µs: how late each woke, which is what a
//    publisher that sleeps before a message must cover with a spin.
//   node bench/micro/machineHiccups.mjs [SECONDS]
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const at = (/** @type {number[]} */ sorted, /** @type {number} */ q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const seconds = Number(process.argv[2] ?? 5);
const gaps = [];
const endUs = nowUs() + seconds * 1e6;
for (let last = nowUs(), t = last; t < endUs; last = t) {
  t = nowUs();
  if (t - last > 100) gaps.push(t - last);
}
gaps.sort((a, b) => b - a);
console.log(`spinning ${seconds} s: ${gaps.length} gaps over 100 µs, the longest ${gaps.slice(0, 5).join(', ')} µs`);

const cell = new Int32Array(new SharedArrayBuffer(4));
for (const requestedUs of [100, 300, 1000]) {
  const late = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = nowUs();
    Atomics.wait(cell, 0, 0, requestedUs / 1000);
    late.push(nowUs() - t0 - requestedUs);
  }
  late.sort((a, b) => a - b);
  console.log(
    `futex sleep of ${requestedUs} µs woke late by p50 ${at(late, 0.5)}, p90 ${at(late, 0.9)}, p99 ${at(late, 0.99)}, max ${late.at(-1)} µs`,
  );
}
