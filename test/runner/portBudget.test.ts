import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { planRun } from '../../src/runner/plan.js';
import { ephemeralPortProblem } from '../../src/runner/portBudget.js';
import { exitCodeOf } from '../../src/cli/exitCodes.js';
import type { ConnbenchError } from '../../src/util/errors.js';

const point = (raw: unknown) => expandMatrix(validateScenario(raw))[0]!;
const LIMITS = { openFilesLimit: 1_000_000, portsPerDestination: 28_232 };

describe('connections opened per poll and the ephemeral ports', () => {
  it('with keep-alive on, polling opens no connections and needs no ports beyond its own', () => {
    expect(
      ephemeralPortProblem(point({ models: ['short-poll'], clients: 5000 }), {
        clients: 5000,
        addresses: 1,
        portsPerAddress: 28_232,
        socketsPerClient: 1,
      }),
    ).toBe(undefined);
  });

  it('refuses, exit 3 with the arithmetic, a point whose TIME_WAIT would use up a source address, and says what fits', () => {
    // 5000 clients × 1 poll/s over rampUp 5 s + warmup 2 s + duration 10 s = 17 s: 5000 + 85,000 ports.
    const s = point({ models: ['short-poll'], clients: 5000, shortPoll: { keepAlive: 'off', interval: '1s' } });
    let err: ConnbenchError | undefined;
    try {
      planRun(s, LIMITS);
    } catch (e) {
      err = e as ConnbenchError;
    }
    expect(err?.code).toBe('CB_ERR_EPHEMERAL_PORTS');
    expect(exitCodeOf(err)).toBe(3);
    expect(err?.message).toContain(
      '5000 clients on a source address need 5000 × 1 open + 5000 × 1/s × 17 s = 90000 ports, but it has 28232',
    );
    expect(err?.hint).toContain('set client.sourceAddresses to 4 or more');
    // Spread over the addresses it names, it fits.
    expect(() => planRun({ ...s, client: { ...s.client, sourceAddresses: 4 } }, LIMITS)).not.toThrow();
  });

  it('counts a long poll with keep-alive off as one connection per message it receives', () => {
    const s = point({ models: ['long-poll'], clients: 200, longPoll: { keepAlive: 'off' }, workload: { rate: '20/s' } });
    const problem = ephemeralPortProblem(s, { clients: 200, addresses: 1, portsPerAddress: 28_232, socketsPerClient: 1 });
    expect(problem?.what).toContain('each client opens up to 20 new connections a second');
    expect(ephemeralPortProblem(s, { clients: 50, addresses: 1, portsPerAddress: 28_232, socketsPerClient: 1 })).toBe(undefined);
  });

  it('stays within one minute of TIME_WAIT however long the run', () => {
    const s = point({ models: ['short-poll'], clients: 400, duration: '10m', shortPoll: { keepAlive: 'off', interval: '1s' } });
    // 400 + 400 × 1/s × 60 s = 24,400: fits, though the run opens 240,000 connections.
    expect(ephemeralPortProblem(s, { clients: 400, addresses: 1, portsPerAddress: 28_232, socketsPerClient: 1 })).toBe(undefined);
  });

  it('counts the clients of a shard against the ports of its host towards each server port, and names more shards as the remedy', () => {
    // Shard 0 of 2: 2500 clients, all to the one server port: 2500 + 2500 × 1/s × 17 s = 45,000 ports.
    const s = point({ models: ['short-poll'], clients: 5000, shortPoll: { keepAlive: 'off', interval: '1s' } });
    let err: ConnbenchError | undefined;
    try {
      planRun(s, LIMITS, { kind: 'shard', index: 0, count: 2 });
    } catch (e) {
      err = e as ConnbenchError;
    }
    expect(err?.code).toBe('CB_ERR_EPHEMERAL_PORTS');
    expect(err?.message).toContain(
      '2500 clients of this shard towards one server port need 2500 × 1 open + 2500 × 1/s × 17 s = 45000 ports',
    );
    expect(err?.hint).toContain('run more shards (at most 1568 clients each)');
    expect(() => planRun(s, LIMITS, { kind: 'shard', index: 0, count: 4 })).not.toThrow();
  });
});
