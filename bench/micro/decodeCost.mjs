// @ts-check
/** What sseDecode.mjs and wsDecode.mjs share: their reads, and the CPU per message of decoding them. */

const READ_BYTES = 64 * 1024;
const WARMUP_PASSES = 20;
const PASSES = 30;

/** A stream cut into the 64 KiB reads a socket would give. @param {Buffer} stream */
export function readsOf(stream) {
  /** @type {Buffer[]} */
  const reads = [];
  for (let i = 0; i < stream.length; i += READ_BYTES) reads.push(stream.subarray(i, i + READ_BYTES));
  return reads;
}

/**
 * Runs `decodeStream` (one whole stream per call, each decoded message passed to `count`) 20 times
 * to warm up, then 30 times timed, and prints this process's CPU per message. The sum of the
 * sequence numbers is printed so the decoded messages are used.
 * @param {string} what @param {(count: (seq: number) => void) => void} decodeStream
 */
export function printDecodeCost(what, decodeStream) {
  let messages = 0;
  let seqSum = 0;
  const count = (/** @type {number} */ seq) => {
    messages++;
    seqSum += seq;
  };
  for (let i = 0; i < WARMUP_PASSES; i++) decodeStream(() => undefined);
  const before = process.cpuUsage();
  for (let i = 0; i < PASSES; i++) decodeStream(count);
  const used = process.cpuUsage(before);
  const nsPer = ((used.user + used.system) * 1000) / messages;
  console.log(`${messages} ${what}: ${nsPer.toFixed(0)} ns CPU per ${what.replace(/s$/, '')} (seq sum ${seqSum})`);
}
