import { describe, expect, it } from 'vitest';
import { durationFlag, intFlag, intListFlag, unitFlag, unitListFlag } from '../../src/cli/flags.js';
import { runOverridesOf } from '../../src/cli/runFlags.js';
import { ConnbenchError } from '../../src/util/errors.js';

const refusal = (f: () => unknown): ConnbenchError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConnbenchError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
};

describe('flag readers', () => {
  it('read values with units in their range, and name the flag, the value and the range otherwise', () => {
    expect(unitFlag('--payload', '4KiB', 'size', { min: 0, max: 16 * 1024 }, '4KiB')).toBe(4096);
    expect(unitListFlag('--rate', '10/s, 1/m', 'rate', { min: 0, max: 100 }, '10/s')).toEqual([10, 1 / 60]);
    expect(durationFlag('--heartbeat', '0', '15s')).toBe(0);
    const e = refusal(() => unitFlag('--payload', '10GiB', 'size', { min: 0, max: 16 * 1024 }, '4KiB'));
    expect(e).toMatchObject({
      code: 'CB_ERR_BAD_FLAG',
      kind: 'input',
      message: '--payload "10GiB" is not a size from 0B to 16KiB',
      hint: 'write it like --payload 4KiB',
    });
    expect(refusal(() => durationFlag('--max', '0s', '10m', { positive: true })).message).toBe(
      '--max "0s" is not a duration above 0ms and at most 24h',
    );
    expect(refusal(() => durationFlag('--max', '1e3ms', '10m')).message).toBe('--max "1e3ms" is not a duration from 0ms to 24h');
  });

  it('read whole numbers and lists of them written in digits only', () => {
    expect(intFlag('--parallel', ' 4 ', { min: 1, max: 32, example: '4' })).toBe(4);
    expect(intListFlag('--clients', '100,1000', { min: 1, max: 10_000, example: '1000' })).toEqual([100, 1000]);
    for (const bad of ['-1', '1.5', '1e3', '', '0x10'])
      expect(() => intFlag('--n', bad, { min: 1, example: '1' })).toThrow(`--n "${bad}" is not a whole number of at least 1`);
    expect(refusal(() => intListFlag('--clients', '10,-1', { min: 1, max: 10, example: '5' })).message).toBe(
      '--clients "10,-1": "-1" is not a whole number from 1 to 10',
    );
    expect(refusal(() => intListFlag('--clients', '10,,20', { min: 1, max: 10, example: '5' })).message).toBe(
      '--clients "10,,20" has an empty value: give one value, or a comma list of them',
    );
  });

  it("run's flags become overrides, each naming its flag for the scenario's own checks", () => {
    expect(runOverridesOf({ clients: '100,200', duration: '2s', payload: '1KiB', models: 'sse, tcp' })).toEqual({
      overrides: { models: ['sse', 'tcp'], clients: [100, 200], duration: 2000, 'workload.payload': 1024 },
      setBy: {
        models: '--models "sse, tcp"',
        clients: '--clients "100,200"',
        duration: '--duration "2s"',
        'workload.payload': '--payload "1KiB"',
      },
    });
    expect(runOverridesOf({ busyPoll: true })).toEqual({
      overrides: { 'client.busyPoll': true },
      setBy: { 'client.busyPoll': '--busy-poll' },
    });
    expect(runOverridesOf({})).toEqual({ overrides: {}, setBy: {} });
    expect(refusal(() => runOverridesOf({ duration: '0s' })).message).toBe('--duration "0s" is not a duration above 0ms and at most 24h');
  });
});
