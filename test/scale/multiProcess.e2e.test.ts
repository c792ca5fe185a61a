import { afterEach, describe, expect, it } from 'vitest';
import { MODEL_IDS } from '../../src/models/index.js';
import { WITHHOLD_ENV } from '../../src/server/withhold.js';
import type { ModelResult } from '../../src/report/result.js';
import { describeRow, runSmall } from '../workloads/helpers.js';

/**
 * server.processes and client.sourceAddresses scaled down: 2 server processes, 2 source addresses,
 * 301 clients in 2 workers, through the real runner, server and worker processes (built dist/).
 * An odd count gives the workers shares of different sizes at each server process (76 + 75 and
 * 75 + 75), so counts answered to the wrong worker would show as loss or duplicates.
 */
const CLIENTS = 301;
const SCALED = { clients: CLIENTS, server: { processes: 2 }, client: { sourceAddresses: 2, workers: 2 } } as const;

function expectProcessRows(m: ModelResult, why: string): void {
  const servers = m.processes!.filter((p) => p.role === 'server');
  const clients = m.processes!.filter((p) => p.role === 'client');
  expect(
    servers.map((p) => p.index),
    why,
  ).toEqual([0, 1]);
  expect(new Set(m.processes!.map((p) => p.pid)).size, why).toBe(m.processes!.length);
  expect(clients.length, why).toBe(m.client.workers);
  for (const p of m.processes!) expect(p.peakRssBytes, why).toBeGreaterThan(10 * 1024 * 1024);
  // Dealt out evenly: clients 0, 2, 4 … to process 0, 1, 3, 5 … to process 1, about half from each source address.
  expect(
    servers.map((p) => p.openSockets),
    why,
  ).toEqual([151, 150]);
  for (const p of servers) {
    expect(Object.keys(p.acceptedBySourceAddress!).sort(), why).toEqual(['127.0.0.1', '127.0.0.2']);
    for (const n of Object.values(p.acceptedBySourceAddress!)) expect(n, why).toBeGreaterThanOrEqual(75);
  }
  expect(
    clients.map((p) => p.openSockets),
    why,
  ).toEqual([151, 150]);
  // The server figures are the processes' sums.
  expect(m.server.openSockets, why).toBe(CLIENTS);
  expect(m.server.peakRssBytes, why).toBe(servers.reduce((n, p) => n + p.peakRssBytes, 0));
}

describe('several server processes and source addresses (end to end)', () => {
  afterEach(() => {
    delete process.env[WITHHOLD_ENV];
  });

  it('every model: one global sequence over 2 server processes, 0 lost, every process in the JSON', async () => {
    // 20/s from t0 until warmup + duration (1.5 s): messages 1 … 30 in every process, no more.
    const result = await runSmall({ name: 'scale-small', ...SCALED, workload: { pattern: 'broadcast', rate: '20/s', payload: '64B' } });
    expect(result.models.map((m) => m.model)).toEqual([...MODEL_IDS]);
    for (const m of result.models) {
      const why = describeRow(m);
      expect(m.status, why).not.toBe('failed');
      expect(m.clients, why).toEqual({ target: CLIENTS, connected: CLIENTS, failed: 0 });
      expect(m.messages.published, why).toBe(30);
      // Every client subscribed before the first message, at whichever process: each is owed all 30.
      expect(m.messages, why).toMatchObject({ expected: CLIENTS * 30, delivered: CLIENTS * 30, lost: 0, duplicates: 0, reordered: 0 });
      expectProcessRows(m, why);
    }
  }, 90_000);

  it('idle then a burst: the same burst count in every process, and a withheld message still counts as lost', async () => {
    // Client 1 reads from server process 1: its process never sends it seq 4. The drain then waits
    // out its timeout for the message that never comes, so keep that short.
    process.env[WITHHOLD_ENV] = JSON.stringify({ u1: [4] });
    const result = await runSmall({
      name: 'scale-idle',
      ...SCALED,
      models: ['sse', 'websocket', 'tcp'],
      workload: { pattern: 'idle', burst: 10 },
      drainTimeout: '1500ms',
    });
    for (const m of result.models) {
      const why = describeRow(m);
      expect(m.messages, why).toMatchObject({ published: 10, expected: CLIENTS * 10, delivered: CLIENTS * 10 - 1, lost: 1, duplicates: 0 });
      expectProcessRows(m, why);
    }
  }, 60_000);
});
