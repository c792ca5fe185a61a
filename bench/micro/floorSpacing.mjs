// The physical one-way floor of the bench (bench/figures/oneWayFloor.ts: a sender that spins until
// each frame is due, in its own process) at several frame spacings, with a receiver that polls
// without sleeping (spin) or sleeps in epoll between frames as any client does (sleep).
//   npm run bench builds dist-bench/ first (or: npx tsc -p tsconfig.json --declaration && npx tsc -p bench)
//   node bench/micro/floorSpacing.mjs spin|sleep [SPACING_US ...]   (default 2000 5000 10000)
const { oneWayFloorUs } = await import(new URL('../../dist-bench/figures/oneWayFloor.js', import.meta.url).href);

const FRAMES = 300;
const FRAME_BYTES = 170;

const mode = process.argv[2] === 'sleep' ? 'sleep' : 'spin';
const spacings = process.argv.slice(3).map(Number);
for (const intervalUs of spacings.length ? spacings : [2000, 5000, 10000]) {
  const r = await oneWayFloorUs({ frames: FRAMES, intervalUs, frameBytes: FRAME_BYTES, sleepingReceiver: mode === 'sleep' });
  console.log(`${mode} receiver, frames ${intervalUs} µs apart: p50 ${r.p50Us} µs, p99 ${r.p99Us} µs (${r.count} frames)`);
}
process.exit(0);
