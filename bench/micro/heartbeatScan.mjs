// @ts-check
/**
 * The cost of the reference SSE client's heartbeat scanner: one million HeartbeatScanner.count()
 * calls on one 180-byte message chunk, timed in this process. Run after `npm run build`:
 *   node bench/micro/heartbeatScan.mjs
 */
import { HeartbeatScanner } from '../../dist/models/sse/heartbeatScan.js';

const chunk = Buffer.from(`id: 123\ndata: {"seq":123,"t":8812345678,"body":"${'x'.repeat(128)}"}\n\n`);
const scanner = new HeartbeatScanner();
const CALLS = 1_000_000;
let heartbeats = 0;
const t0 = process.hrtime.bigint();
for (let i = 0; i < CALLS; i++) heartbeats += scanner.count(chunk);
const nsPerCall = Number(process.hrtime.bigint() - t0) / CALLS;
// The heartbeat count is printed so the loop's result is used (and is 0: the chunk holds none).
console.log(`${chunk.length} B chunk: ${nsPerCall.toFixed(0)} ns per count() (${heartbeats} heartbeats)`);
