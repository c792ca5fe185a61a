import { describe, it } from 'vitest';
import { cli, expectRefused } from './cliInProcess.js';

/**
 * Every numeric flag of every command with values out of range, negative, fractional (where it
 * must be whole), in exponent notation, and empty: each refused before anything starts, exit 2,
 * with a message naming the flag and the value given, and a hint.
 */

/** Enough of each command for it to get as far as its flags: ports 0, a forward, an idle timeout. */
const COMMANDS = {
  run: ['run', '--models', 'tcp'],
  serve: ['serve', '--port', '0', '--tcp-port', '0'],
  proxy: ['proxy', '--forward', '0:1'],
  heartbeat: ['heartbeat', '--idle-timeout', '10s'],
  probe: ['heartbeat', 'probe', '--via', 'http://127.0.0.1:9/'],
  compare: ['compare', 'base.json', 'head.json'],
} as const;

const COUNT = ['-1', '1.5', '1e3', '', ' ', '12abc'];
const DURATION = ['-1s', '1e3ms', '', 'soon', '1000h'];
const RATE = ['-1/s', '1e9', '', 'fast'];
const SIZE = ['-1B', '1e3', '', '10GiB', '1TB'];
const FRACTION = ['-0.1', '1.5', '1e-1', '', 'half'];

const FLAGS: [keyof typeof COMMANDS, string, string[]][] = [
  ['run', '--clients', [...COUNT, '0', '2000000', '10,-1', '10,,20']],
  ['run', '--duration', [...DURATION, '0s', '0']],
  ['run', '--rate', [...RATE, '0/s', '200000/s']],
  ['run', '--payload', [...SIZE, '17MiB']],
  ['run', '--repeat', [...COUNT, '0', '101']],
  ['serve', '--port', [...COUNT, '65536']],
  ['serve', '--tcp-port', [...COUNT, '70000']],
  ['serve', '--rate', [...RATE, '200000/s']],
  ['serve', '--payload', [...SIZE, '17MiB']],
  ['serve', '--heartbeat', DURATION],
  ['serve', '--retention', [...COUNT, '0', '100000000']],
  ['serve', '--slow-reader-queue', [...SIZE, '0B']],
  ['serve', '--stall-timeout', [...DURATION, '0s']],
  ['proxy', '--idle-timeout', DURATION],
  ['proxy', '--latency', DURATION],
  ['proxy', '--jitter', DURATION],
  ['proxy', '--reset-after', DURATION],
  ['proxy', '--half-open-at', DURATION],
  ['proxy', '--reset-fraction', FRACTION],
  ['proxy', '--half-open-fraction', FRACTION],
  ['heartbeat', '--clients', [...COUNT, '0', '9000']],
  ['heartbeat', '--intervals', [...DURATION, '0s']],
  ['heartbeat', '--heartbeat-timeout', [...DURATION, '0s']],
  ['heartbeat', '--time-scale', ['-1', '0.5', '1e3', '', 'fast']],
  ['heartbeat', '--observe', [...DURATION, '0s']],
  ['heartbeat', '--safety-margin', FRACTION],
  ['heartbeat', '--detect-within', [...DURATION, '0s']],
  ['heartbeat', '--tcp-keep-alive', [...DURATION, '0s']],
  ['probe', '--resolution', [...DURATION, '0s']],
  ['probe', '--max', [...DURATION, '0s']],
  ['probe', '--start', [...DURATION, '0s']],
  ['probe', '--parallel', [...COUNT, '0', '33']],
  ['compare', '--noise', ['-5%', '1e2', '', 'some']],
];

describe('hostile flags: every numeric flag refuses what it cannot take, naming the flag, the value and what it accepts', () => {
  const cases = FLAGS.flatMap(([command, flag, values]) => values.map((v) => [command, flag, v] as const));

  it.each(cases)('%s %s %j', async (command, flag, value) => {
    const r = await cli([...COMMANDS[command], flag, value]);
    expectRefused(r, flag, value);
  });
});
