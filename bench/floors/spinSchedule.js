// @ts-check
/**
 * The publisher's floor: a process that never sleeps, spinning (as the server does) until each
 * instant of a fixed schedule, records how late it saw each one. What it records is only the
 * machine taking the core away (other processes, the hypervisor): the lateness no publisher that
 * waits for its instants in a process can beat, however it waits.
 */
import { Spinner } from '../../dist/server/spin.js';
import { nowUs, quantileOf, serve } from './common.js';

/** The server's own spin (src/server/spin.ts): it reads the clock, which allocates, at most every 50 µs, not in a tight loop. */
const spinner = new Spinner();

serve(
  /** @param {import('./protocol.js').ToSpinSchedule} m */
  (m, reply) => {
    switch (m.type) {
      case 'run':
        return reply(lateness(spin(m.ratePerSec, m.count)));
      case 'stop':
        process.exit(0);
    }
  },
);

/**
 * Bounded by the schedule itself: count instants, the last count/rate seconds from now.
 * @param {number} ratePerSec
 * @param {number} count
 */
function spin(ratePerSec, count) {
  const intervalUs = 1e6 / ratePerSec;
  const t0Us = nowUs() + 1000;
  const lateUs = new Array(count);
  for (let k = 0; k < count; k++) {
    const dueUs = Math.round(t0Us + k * intervalUs);
    spinner.until(dueUs);
    lateUs[k] = nowUs() - dueUs;
  }
  return lateUs;
}

/**
 * @param {number[]} lateUs
 * @returns {import('./protocol.js').FromSpinSchedule}
 */
function lateness(lateUs) {
  const us = [...lateUs].sort((a, b) => a - b);
  return { type: 'lateness', p50Us: quantileOf(us, 0.5), p99Us: quantileOf(us, 0.99), maxUs: us.at(-1) ?? 0, count: us.length };
}
