import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SCHEMA_VERSION, type RunResult } from '../../src/report/result.js';
import { decodeHistogram, initHistograms } from '../../src/metrics/histogram.js';

/** `run` with --repeat, --html, --markdown and scenario thresholds, end to end on small numbers. */
const cli = (args: string[]) => runCli(args, 90_000);

describe('connbench run: thresholds, repeats and reports', () => {
  it('repeats each model, stores the repeats, writes markdown and HTML, and exits 1 on a failing threshold', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-runrep-'));
    const scenario = path.join(dir, 'small.yaml');
    writeFileSync(
      scenario,
      [
        'name: small-ci',
        'rampUp: 200ms',
        'warmup: 300ms',
        'thresholds:',
        '  "*.lost": "== 0"',
        '  "tcp.latency.p99": "< 1us"',
        '  "websocket.server.rssPerConnection": "< 1GiB"',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'r.json');
    const r = cli([
      'run',
      scenario,
      '--models',
      'websocket,tcp',
      '--clients',
      '5',
      '--duration',
      '500ms',
      '--rate',
      '20/s',
      '--repeat',
      '2',
      '--out',
      out,
      '--html',
      path.join(dir, 'r.html'),
      '--markdown',
      path.join(dir, 'r.md'),
      '--quiet',
    ]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain('thresholds: 3 passed, 1 failed');
    expect(r.stdout).toMatch(/FAIL tcp\.latency\.p99 < 1us: tcp\.latencyMs\.p99 = [\d.]+ ms, must be < 0\.001 ms: [\d.]+ ms over/);
    expect(r.stdout).toContain('2 repeats per model');
    expect(r.stderr).toContain('CB_ERR_THRESHOLD_FAILED');

    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    expect(result.schemaVersion).toBe(SCHEMA_VERSION);
    expect(result.complete).toBe(true);
    expect(result.repeat).toBe(2);
    await initHistograms();
    for (const m of result.models) {
      // ok, or client-bound when a busy test machine kept a worker from its loop: the repeats are the point here.
      expect(m.status, `${m.model}: ${m.statusReason}`).not.toBe('failed');
      expect(m.repeats).toHaveLength(2);
      expect(m.repeats!.every((x) => x.complete && x.repeats === undefined)).toBe(true);
      // the row's histogram and counters cover both repeats
      expect(decodeHistogram(m.histogram).totalCount).toBe(m.repeats!.reduce((a, x) => a + x.latencyMs.count, 0));
      expect(m.latencyMs.count).toBe(decodeHistogram(m.histogram).totalCount);
      expect(m.messages.delivered).toBe(m.repeats![0]!.messages.delivered + m.repeats![1]!.messages.delivered);
    }
    expect(result.thresholds!.map((t) => `${t.target}@${t.model}:${t.passed}`).sort()).toEqual([
      '*.lost@tcp:true',
      '*.lost@websocket:true',
      'tcp.latency.p99@tcp:false',
      'websocket.server.rssPerConnection@websocket:true',
    ]);
    expect(readFileSync(path.join(dir, 'r.md'), 'utf8')).toContain('**Thresholds: 3 passed, 1 failed**');
    expect(readFileSync(path.join(dir, 'r.html'), 'utf8')).toContain('<canvas id="chart-latency"');

    // the stored result checks the same way later, and compares with itself as unchanged
    expect(cli(['report', out, '--check']).status).toBe(1);
    const same = cli(['compare', out, out, '--fail-on', 'latency.p99 > +1%']);
    expect(same.status, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toContain('0 regressed, 0 improved');
  });

  it('a threshold it cannot read stops the run before anything starts: exit 2', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-runrep-'));
    const scenario = path.join(dir, 'bad.yaml');
    writeFileSync(scenario, 'name: bad\nthresholds:\n  "websocket.latency.p99": "< 20KiB"\n');
    const out = path.join(dir, 'r.json');
    const r = cli(['run', scenario, '--out', out, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('"20KiB" is not a duration');
    expect(existsSync(out)).toBe(false);
    const repeat = cli(['run', '--repeat', '0']);
    expect(repeat.status).toBe(2);
    expect(repeat.stderr).toContain('--repeat "0" is not a whole number from 1 to 100');
  });
});
