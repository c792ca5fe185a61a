import { MODEL_IDS } from '../../src/models/index.js';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeHistogram, initHistograms } from '../../src/metrics/histogram.js';
import { SCHEMA_VERSION, type RunResult } from '../../src/report/result.js';
import { CLIENT_BOUND_LOOP_DELAY_P99_MS } from '../../src/runner/resultRow.js';

const run = (args: string[], timeoutMs = 120_000) => runCli(args, timeoutMs);

describe('connbench run (end to end, small numbers)', () => {
  it('runs every model, writes the result JSON of the contract with sane values, and prints the table', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-e2e-'));
    const out = path.join(dir, 'r.json');
    const scenario = path.join(dir, 'small.yaml');
    writeFileSync(scenario, 'name: small\nrampUp: 200ms\nwarmup: 500ms\nshortPoll: { interval: 100ms }\n');
    const r = run(['run', scenario, '--clients', '20', '--duration', '1s', '--rate', '20/s', '--payload', '64B', '--out', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/model.*conn.*delivered.*lost/);
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    expect(result.schemaVersion).toBe(SCHEMA_VERSION);
    expect(result.complete).toBe(true);
    expect(result.tool.name).toBe('connbench');
    expect(result.env.cpus).toBeGreaterThan(0);
    expect(result.scenario.clients).toBe(20);
    expect(result.models.map((m) => m.model)).toEqual([...MODEL_IDS]);
    await initHistograms();
    for (const m of result.models) {
      expect(m.status, `${m.model}: ${m.statusReason}`).not.toBe('failed');
      expect(m.complete).toBe(true);
      expect(m.clients).toEqual({ target: 20, connected: 20, failed: 0 });
      expect(m.messages.lost, m.model).toBe(0);
      expect(m.messages.duplicates, m.model).toBe(0);
      expect(m.messages.published).toBeGreaterThan(0);
      expect(m.messages.delivered).toBe(m.messages.expected);
      expect(m.latencyMs.count).toBeGreaterThan(0);
      expect(m.latencyMs.p50).toBeGreaterThan(0);
      expect(m.latencyMs.p50).toBeLessThanOrEqual(m.latencyMs.p99!);
      expect(m.latencyMs.p99).toBeLessThanOrEqual(m.latencyMs.max!);
      expect(decodeHistogram(m.histogram).totalCount).toBe(m.latencyMs.count);
      expect(m.connectMs.p50).toBeGreaterThan(0);
      expect(m.server.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
      expect(m.server.cpuUsPerMessage).toBeGreaterThan(0);
      expect(m.client.workers).toBe(1);
      expect(m.wire.serverBytesPerMessage).toBeGreaterThanOrEqual(64);
    }
  });

  it('prints only the JSON with --json; --out a directory writes the default file name in it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-e2e-'));
    const r = run(['run', '--models', 'tcp', '--clients', '5', '--duration', '500ms', '--out', dir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result.models).toHaveLength(1);
    expect(result.models[0]!.model).toBe('tcp');
    expect(readdirSync(dir)).toEqual([`default-${result.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`]);
    // The limit on slow readers and stalls is in every result.
    expect(result.scenario.server).toMatchObject({ slowReaderQueueBytes: 1024 * 1024, stallTimeoutMs: 30_000 });
    expect(result.models[0]!.server.slowReaderCuts).toBe(0);
  });

  it('--busy-poll: the workers poll without sleeping, their CPU makes no row client-bound and is n/a with the reason', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-e2e-'));
    const out = path.join(dir, 'busy.json');
    const r = run([
      'run',
      '--models',
      'tcp',
      '--clients',
      '1',
      '--rate',
      '200/s',
      '--duration',
      '500ms',
      '--busy-poll',
      '--wide',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    expect(result.scenario.client.busyPoll).toBe(true);
    const row = result.models[0]!;
    expect(row.messages.lost).toBe(0);
    // A whole core of polling is no saturation (test/runner/resultRow.test.ts holds the rule). On a
    // machine busy with other test files a worker may still be descheduled past the loop-delay
    // limit: then the row is client-bound for that reason alone.
    if (row.status !== 'ok') {
      expect(row.status, row.statusReason).toBe('client-bound');
      const loopDelayP99Ms = Number(/event-loop delay p99 ([\d.]+) ms/.exec(row.statusReason ?? '')?.[1]);
      expect(loopDelayP99Ms, row.statusReason).toBeGreaterThan(CLIENT_BOUND_LOOP_DELAY_P99_MS);
    }
    expect(row.client).toMatchObject({ busyPoll: true, cpuPercent: null, cpuUsPerMessage: null });
    expect(row.latencyMs.count).toBeGreaterThan(0);
    expect(r.stdout).toContain("client.busyPoll: the polling used the workers' CPU");
  });

  it('--out DIR writes the default file name inside the directory, for every model', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-e2e-'));
    const r = run(['run', '--models', 'tcp,websocket', '--clients', '3', '--duration', '300ms', '--out', dir, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(dir);
    expect(files).toEqual([expect.stringMatching(/^default-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/)]);
    expect(r.stdout).toContain(`result: ${path.join(dir, files[0]!)}`);
    const result = JSON.parse(readFileSync(path.join(dir, files[0]!), 'utf8')) as RunResult;
    expect(result.models.map((m) => m.model)).toEqual(['tcp', 'websocket']);
  });

  it('refuses bad input with exit 2 and names the valid choices', () => {
    const bad = run(['run', '--models', 'carrier-pigeon']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('websocket');
    expect(run(['run', '--clients', '-3']).status).toBe(2);
    const dur = run(['run', '--duration', 'soon']);
    expect(dur.status).toBe(2);
    expect(dur.stderr).toContain('duration');
    expect(run(['run', 'no-such-scenario']).status).toBe(2);
  });
});
