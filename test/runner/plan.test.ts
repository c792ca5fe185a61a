import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENTS_PER_WORKER, MAX_SOURCE_ADDRESSES, planRun, type Limits, type PlanSide } from '../../src/runner/plan.js';
import { clientIdOf, clientsOfShard, socketsPerClient } from '../../src/topology/topology.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { ConnbenchError } from '../../src/util/errors.js';

/** The part of a scenario the plan reads. */
function point(
  clients: number,
  o: { processes?: number; workers?: number; sourceAddresses?: number; chat?: boolean; models?: string[]; sseEcho?: boolean } = {},
): Scenario {
  return {
    clients,
    models: o.models ?? ['tcp'],
    workload: { pattern: o.chat ? 'chat' : 'broadcast' },
    server: { processes: o.processes ?? 1 },
    client: { workers: o.workers ?? 0, sourceAddresses: o.sourceAddresses ?? 1 },
    sse: { echo: o.sseEcho ?? false },
    tls: { enabled: false },
    intermediary: { proxy: 'none', via: null },
    faults: [],
  } as unknown as Scenario;
}

const MACHINE: Limits = { openFilesLimit: 20_000 };

function refusal(s: Scenario, limits: Limits, side?: PlanSide): ConnbenchError {
  try {
    planRun(s, limits, side);
  } catch (err) {
    expect(err).toBeInstanceOf(ConnbenchError);
    const e = err as ConnbenchError;
    expect(e.code).toBe('CB_ERR_TOO_MANY_SOCKETS');
    // The run cannot be carried out here (exit 3), the scenario itself is valid.
    expect(e.kind).toBe('run');
    return e;
  }
  throw new Error('expected the plan to be refused');
}

describe('planRun', () => {
  it('plans workers and source addresses that fit', () => {
    expect(planRun(point(1000), MACHINE)).toEqual({
      workers: 1,
      slices: [{ workerIndex: 0, firstClientId: 0, count: 1000 }],
      sourceAddresses: ['127.0.0.1'],
    });
    const big = planRun(point(12_001, { sourceAddresses: 2 }), MACHINE);
    expect(big.workers).toBe(Math.ceil(12_001 / DEFAULT_CLIENTS_PER_WORKER));
    expect(big.slices.map((s) => s.count)).toEqual([4001, 4000, 4000]);
    // Three addresses keep each under FAST_CONNECTIONS_PER_ADDRESS (6000), where binds stay fast.
    expect(big.sourceAddresses).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(planRun(point(5000, { sourceAddresses: 4 }), MACHINE).sourceAddresses).toHaveLength(4);
  });

  it('adds source addresses when one would run out of ephemeral ports towards the server', () => {
    expect(planRun(point(250), { openFilesLimit: 20_000, portsPerDestination: 100 }).sourceAddresses).toEqual([
      '127.0.0.1',
      '127.0.0.2',
      '127.0.0.3',
    ]);
  });

  it('takes more workers by itself when the open-files limit is low', () => {
    const plan = planRun(point(5000, { processes: 2 }), { openFilesLimit: 3200 });
    expect(plan.workers).toBe(2);
    expect(Math.max(...plan.slices.map((s) => s.count))).toBeLessThanOrEqual(3000);
  });

  it('refuses more clients than a server process can hold, with the numbers and the remedy', () => {
    const e = refusal(point(40_000), MACHINE);
    expect(e.message).toContain('40000 clients need 40000 sockets in the server process');
    expect(e.message).toContain('about 18000 sockets (open-files limit 20000');
    expect(e.hint).toContain('use at most 18000 clients');
    // The limit is not what binds here: raising it would not help.
    expect(e.hint).not.toContain('ulimit');
  });

  it('names a low open-files limit and how far to raise it', () => {
    const e = refusal(point(1000), { openFilesLimit: 1024 });
    expect(e.message).toContain('about 824 sockets (open-files limit 1024');
    expect(e.hint).toContain('use at most 824 clients');
    expect(e.hint).toContain('ulimit -n) to at least 1200');
  });

  it('refuses too few workers with the number that fits, every shortfall at once', () => {
    const e = refusal(point(30_000, { processes: 2, workers: 1 }), MACHINE);
    expect(e.message).toContain('30000 clients over 1 client worker(s) is 30000 sockets per worker');
    expect(e.hint).toContain('set client.workers to 2 or more');
    const both = refusal(point(60_000, { processes: 1, workers: 1 }), MACHINE);
    expect(both.message).toMatch(/server process.*; .*per worker/);
    expect(both.hint).toContain('set client.workers to 4 or more');
  });

  it('counts two sockets per client for chat over HTTP models, one otherwise', () => {
    expect(socketsPerClient(point(10, { chat: true, models: ['websocket', 'long-poll'] }))).toBe(2);
    expect(socketsPerClient(point(10, { chat: true, models: ['websocket', 'tcp'] }))).toBe(1);
    expect(socketsPerClient(point(10, { chat: false, models: ['sse'] }))).toBe(1);
    const e = refusal(point(10_000, { chat: true, models: ['sse'] }), MACHINE);
    expect(e.message).toContain(
      '10000 clients (2 sockets each: chat over HTTP sends on a second connection) need 20000 sockets in the server process',
    );
    expect(e.hint).toContain('use at most 9000 clients');
    expect(planRun(point(8000, { chat: true, models: ['sse'] }), MACHINE).workers).toBe(2);
  });

  it('counts two sockets per SSE client that echoes heartbeats', () => {
    expect(socketsPerClient(point(10, { models: ['sse'], sseEcho: true }))).toBe(2);
    expect(socketsPerClient(point(10, { models: ['websocket'], sseEcho: true }))).toBe(1);
    const e = refusal(point(10_000, { models: ['sse'], sseEcho: true }), MACHINE);
    expect(e.message).toContain('2 sockets each: an SSE client echoes heartbeats on a second connection');
  });

  it('refuses when even every loopback source address has too few ports, with the numbers', () => {
    const e = refusal(point(3000), { openFilesLimit: 20_000, portsPerDestination: 10 });
    expect(e.message).toContain(
      `3000 clients need 300 loopback source addresses at about 10 ephemeral ports each, but at most ${MAX_SOURCE_ADDRESSES}`,
    );
    expect(e.hint).toContain(`use at most ${10 * MAX_SOURCE_ADDRESSES} clients`);
  });
});

describe('planRun for a shard (run --target --shard i/n) and for the server side', () => {
  const idsOf = (p: ReturnType<typeof planRun>) => p.slices.flatMap((s) => Array.from({ length: s.count }, (_, k) => clientIdOf(s, k)));

  it('n shards run every client exactly once: client c in shard c mod n, each worker stepping by n', () => {
    for (const [clients, n] of [
      [10, 3],
      [12_001, 4],
      [2, 5],
    ] as const) {
      const all = Array.from({ length: n }, (_, i) => idsOf(planRun(point(clients), MACHINE, { kind: 'shard', index: i, count: n })));
      all.forEach((ids, i) => {
        expect(ids.every((c) => c % n === i)).toBe(true);
        expect(ids.length).toBe(clientsOfShard(clients, i, n));
      });
      expect(
        all
          .flat()
          .sort((a, b) => a - b)
          .join(),
      ).toBe(Array.from({ length: clients }, (_, c) => c).join());
    }
    const p = planRun(point(12_001), MACHINE, { kind: 'shard', index: 1, count: 4 });
    expect(p.sourceAddresses).toEqual([]);
    expect(p.slices[0]).toMatchObject({ firstClientId: 1, stride: 4 });
  });

  it("a shard checks only its own clients' side: the server's sockets are the server's to check", () => {
    // 40,000 clients would not fit one server process here, but a shard of 4 holds 10,000 clients.
    expect(planRun(point(40_000), MACHINE, { kind: 'shard', index: 0, count: 4 }).workers).toBe(2);
    const server = refusal(point(40_000), { ...MACHINE, availableMemoryBytes: undefined }, { kind: 'server' });
    expect(server.message).toContain('this server cannot hold the run: 40000 clients need 40000 sockets in the server process');
  });

  it('refuses a shard whose clients pass the ephemeral ports towards one server port', () => {
    const e = refusal(
      point(300, { processes: 2 }),
      { openFilesLimit: 20_000, portsPerDestination: 100 },
      { kind: 'shard', index: 0, count: 1 },
    );
    expect(e.message).toContain('300 clients of this shard make 150 connections to each server port');
    expect(e.hint).toContain('run more shards (at most 200 clients each)');
  });

  it('refuses faults in a shard as bad input: only the runner that started the server can stall or restart it', () => {
    const s = { ...point(10), faults: [{ fault: 'drop', atMs: 100, fraction: 0.5 }] } as unknown as Scenario;
    expect(() => planRun(s, MACHINE, { kind: 'shard', index: 0, count: 2 })).toThrow(/faults \(drop\).*--target/);
  });

  it('refuses TLS and intermediaries across hosts as bad input with a hint, on the shard and on the server side alike', () => {
    const refused = (edit: Record<string, unknown>, side: PlanSide) => {
      try {
        planRun({ ...point(10), ...edit } as Scenario, MACHINE, side);
      } catch (err) {
        return err as ConnbenchError;
      }
      return undefined;
    };
    const shard: PlanSide = { kind: 'shard', index: 0, count: 2 };
    const tls = { tls: { enabled: true } };
    const e = refused(tls, shard);
    expect(e).toMatchObject({ code: 'CB_ERR_SCENARIO_INVALID', kind: 'input' });
    expect(e!.message).toContain('the scenario asks for TLS (tls.enabled), but with --target the server runs on another host');
    expect(e!.hint).toContain('without --target, on one machine');
    expect(refused(tls, { kind: 'server' })?.code).toBe('CB_ERR_SCENARIO_INVALID');
    const nginx = refused({ intermediary: { proxy: 'nginx', via: null } }, shard);
    expect(nginx?.message).toContain('an intermediary (intermediary.proxy nginx)');
    const via = refused({ intermediary: { proxy: 'none', via: 'http://127.0.0.1:9000' } }, shard);
    expect(via?.message).toContain('your own intermediary (intermediary.via)');
    // On one machine they run.
    expect(refused(tls, { kind: 'machine' })).toBe(undefined);
  });
});
