import { describe, expect, it } from 'vitest';
import { FAST_CONNECTIONS_PER_ADDRESS, MEMORY_HEADROOM, planRun, type Limits } from '../../src/runner/plan.js';
import { serverIndexOf, sourceAddressOf } from '../../src/topology/topology.js';
import { BYTES_PER_PROCESS, peakBytesPerConnection } from '../../src/runner/memoryPerConnection.js';
import { formatBytes } from '../../src/util/units.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { ConnbenchError } from '../../src/util/errors.js';

const GiB = 1024 ** 3;

/** The part of a scenario the plan reads. */
function point(
  clients: number,
  o: { processes?: number; sourceAddresses?: number; chat?: boolean; models?: string[]; sseClient?: string } = {},
): Scenario {
  return {
    clients,
    models: o.models ?? ['websocket'],
    // No messages: the log holds nothing, and each connection's payload cost is its 128 B message's.
    workload: { pattern: o.chat ? 'chat' : 'broadcast', ratePerSec: 0, payloadBytes: 128, burst: 0 },
    warmupMs: 1000,
    durationMs: 1000,
    sse: { client: o.sseClient ?? 'auto', echo: false },
    server: { processes: o.processes ?? 1, retention: 1000 },
    client: { workers: 0, sourceAddresses: o.sourceAddresses ?? 1 },
    faults: [],
  } as unknown as Scenario;
}

const MACHINE: Limits = { openFilesLimit: 20_000, availableMemoryBytes: 16 * GiB };

function refusal(s: Scenario, limits: Limits): ConnbenchError {
  try {
    planRun(s, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(ConnbenchError);
    return err as ConnbenchError;
  }
  throw new Error('expected the plan to be refused');
}

describe('planRun beyond one server process', () => {
  it('plans 50,000 connections over 3 server processes, 10 workers and 9 source addresses', () => {
    const plan = planRun(point(50_000, { processes: 3 }), MACHINE);
    expect(plan.workers).toBe(10);
    expect(plan.slices.reduce((n, s) => n + s.count, 0)).toBe(50_000);
    // About 28k ephemeral ports per source address would need two; binds stay fast below 6000 per address.
    expect(plan.sourceAddresses).toHaveLength(Math.ceil(50_000 / FAST_CONNECTIONS_PER_ADDRESS));
    expect(plan.sourceAddresses.at(-1)).toBe('127.0.0.9');
  });

  it('refuses more clients than the server processes hold, naming the process count that fits', () => {
    const e = refusal(point(50_000, { processes: 2 }), MACHINE);
    expect(e.code).toBe('CB_ERR_TOO_MANY_SOCKETS');
    expect(e.kind).toBe('run');
    expect(e.message).toContain(
      '50000 clients need 25000 sockets in each of 2 server processes, but one process may hold about 18000 sockets',
    );
    expect(e.hint).toContain('set server.processes to 3 or more');
    expect(e.hint).toContain('use at most 36000 clients');
  });

  it('refuses chat over several server processes as bad input: there is no relay between their logs', () => {
    const e = refusal(point(100, { chat: true, processes: 2 }), MACHINE);
    expect(e.code).toBe('CB_ERR_SCENARIO_INVALID');
    expect(e.kind).toBe('input');
    expect(e.message).toContain('server.processes is 2, but the chat pattern needs one server process');
    expect(e.hint).toContain('set server.processes to 1 for chat');
    // Nor is a chat run that outgrows one process told to add processes.
    expect(refusal(point(20_000, { chat: true }), MACHINE).hint).not.toContain('server.processes');
  });

  it('refuses a run that would not fit in memory, with the arithmetic and the models and count that would', () => {
    const s = point(10_000, { models: ['sse', 'tcp'] });
    const sse = peakBytesPerConnection('sse', s);
    const tcp = peakBytesPerConnection('tcp', s);
    expect(sse).toBeGreaterThan(tcp);
    // 2 workers and 1 server process; available memory such that 80 % of it holds tcp but not sse.
    const processesBytes = 3 * BYTES_PER_PROCESS;
    const budget = Math.floor((10_000 * (sse + tcp)) / 2 + processesBytes);
    const available = Math.ceil(budget / MEMORY_HEADROOM);
    const limits = { openFilesLimit: 20_000, availableMemoryBytes: available };
    const e = refusal(s, limits);
    expect(e.code).toBe('CB_ERR_NOT_ENOUGH_MEMORY');
    expect(e.kind).toBe('run');
    expect(e.message).toContain(`10000 clients of sse need about ${formatBytes(10_000 * sse + processesBytes)} at their peak`);
    expect(e.message).toContain(
      `(10000 connections × ${formatBytes(sse)} for server, client, kernel and 128 B messages, + 3 processes × 64.0 MiB), but 80 % of the ${formatBytes(available)} available`,
    );
    const fit = Math.floor((Math.floor(available * MEMORY_HEADROOM) - processesBytes) / sse);
    expect(e.hint).toContain(`use at most ${fit} clients`);
    expect(e.hint).toContain('run only tcp');
    // The fitting count does fit, one more does not.
    expect(() => planRun(point(fit, { models: ['sse', 'tcp'] }), limits)).not.toThrow();
    expect(() => planRun(point(fit + 1, { models: ['sse', 'tcp'] }), limits)).toThrow(ConnbenchError);
    // The eventsource client costs more than the lean one.
    expect(peakBytesPerConnection('sse', point(10_000, { sseClient: 'reference' }))).toBeGreaterThan(sse);
  });

  it('counts the payload into the memory: each connection holds a whole message, each server process its log', () => {
    const small = point(1000, { models: ['tcp'] });
    expect(() => planRun(small, MACHINE)).not.toThrow();
    const big = {
      ...small,
      workload: { pattern: 'broadcast', ratePerSec: 10, payloadBytes: 16 * 1024 * 1024 - 1024, burst: 0 },
      warmupMs: 2000,
      durationMs: 10_000,
    } as unknown as Scenario;
    const e = refusal(big, MACHINE);
    expect(e.code).toBe('CB_ERR_NOT_ENOUGH_MEMORY');
    // 120 messages published (10/s over 12 s), fewer than retention: all in the log.
    expect(e.message).toContain('for server, client, kernel and 16.0 MiB messages, + 2 processes × 64.0 MiB, + 1 message log × 1.9 GiB)');
  });

  it('names sockets and memory together when both run short', () => {
    const e = refusal(point(60_000, { processes: 1 }), { openFilesLimit: 20_000, availableMemoryBytes: 1 * GiB });
    expect(e.code).toBe('CB_ERR_TOO_MANY_SOCKETS');
    expect(e.message).toMatch(/server process.*; .*at their peak/);
  });

  it('deals clients evenly over server processes and, independently, over source addresses', () => {
    const addresses = ['127.0.0.1', '127.0.0.2'];
    const pairs = new Map<string, number>();
    for (let c = 0; c < 400; c++) {
      const key = `${serverIndexOf(c, 2)} ${sourceAddressOf(c, 2, addresses)}`;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(pairs)).toEqual({ '0 127.0.0.1': 100, '1 127.0.0.1': 100, '0 127.0.0.2': 100, '1 127.0.0.2': 100 });
    // One server process: the addresses simply take turns.
    expect([0, 1, 2, 3].map((c) => sourceAddressOf(c, 1, addresses))).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.1', '127.0.0.2']);
  });
});
