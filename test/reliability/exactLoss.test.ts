import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/report/result.js';
import { WITHHOLD_ENV, type WithholdSpec } from '../../src/server/withhold.js';

/**
 * Exact loss accounting through the real runner, server and workers (built dist/): the server is
 * told to never deliver chosen messages to chosen clients, and every model must report exactly
 * that many lost: the seq tracker, the log's expected counts and lost = expected - unique, no more,
 * no less. 20 clients, 20 messages/s for 1.3 s: seqs up to 20 are all published.
 */
const WITHHOLD: WithholdSpec = { u0: [2, 9, 17], u5: [4], u13: [1, 2, 3, 11], u19: [20] };
const WITHHELD = Object.values(WITHHOLD).reduce((n, s) => n + s.length, 0);

const SCENARIO = `name: exact-loss
models: [short-poll, long-poll, sse, websocket, tcp]
clients: 20
rampUp: 200ms
warmup: 300ms
duration: 1s
drainTimeout: 1500ms
workload: { pattern: broadcast, rate: 20/s, payload: 64B }
shortPoll: { interval: 100ms }
`;

describe('exact loss accounting (end to end)', () => {
  it(`reports exactly the ${WITHHELD} withheld messages as lost for every model`, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-loss-'));
    const scenario = path.join(dir, 'loss.yaml');
    writeFileSync(scenario, SCENARIO);
    const r = spawnSync(
      process.execPath,
      [path.resolve('bin/connbench.js'), 'run', scenario, '--out', path.join(dir, 'r.json'), '--json', '--quiet'],
      {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, [WITHHOLD_ENV]: JSON.stringify(WITHHOLD) },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result.models.map((m) => m.model)).toEqual(['short-poll', 'long-poll', 'sse', 'websocket', 'tcp']);
    for (const m of result.models) {
      expect(m.status, `${m.model}: ${m.statusReason}`).not.toBe('failed');
      expect(m.clients.connected, m.model).toBe(20);
      expect(m.messages.published, m.model).toBeGreaterThanOrEqual(20);
      // Every client subscribed before the first message: all of them expect every message.
      expect(m.messages.expected, m.model).toBe(20 * m.messages.published);
      expect(m.messages.lost, m.model).toBe(WITHHELD);
      expect(m.messages.delivered, m.model).toBe(m.messages.expected - WITHHELD);
      expect(m.messages.duplicates, m.model).toBe(0);
    }
  });
});
