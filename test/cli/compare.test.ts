import { beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli } from '../helpers/cli.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/report/result.js';
import { initHistograms, repeatedRow, syntheticResult, syntheticRow } from '../report/fixtures.js';

let dir: string;
const save = (name: string, value: unknown) => {
  const file = path.join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};

let base: string;
let improved: string;
let regressed: string;
let noisy: string;

beforeAll(async () => {
  await initHistograms();
  dir = mkdtempSync(path.join(tmpdir(), 'connbench-compare-'));
  const models = (scale: number, extra: { lost?: number; rss?: number } = {}) =>
    ['sse', 'websocket'].map((model) =>
      syntheticRow({ model, latencyBaseUs: 1000, latencyScale: scale, lost: extra.lost ?? 0, rssPerConnectionBytes: extra.rss ?? 10_240 }),
    );
  base = save('base.json', syntheticResult(models(1)));
  improved = save('improved.json', syntheticResult(models(0.7, { rss: 8000 })));
  regressed = save('regressed.json', syntheticResult(models(1.3, { lost: 2 })));
  noisy = save('noisy.json', syntheticResult(models(1.03, { rss: 10_400 })));
});

describe('connbench compare', () => {
  it('prints base, head and change per model and metric, with regressions marked', () => {
    const r = cli(['compare', base, regressed]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/compare .*base\.json \(base\) → .*regressed\.json \(head\): 12 regressed, 0 improved, 6 unchanged/);
    expect(r.stdout).toMatch(/│ websocket\s*│ latency p50\s*│\s*1\.55 ms │\s*2\.02 ms │ \+0\.467 ms \(\+30\.1%\) │ REGRESSED/);
    expect(r.stdout).toMatch(/│ latency p99\s*│\s*4\.97 ms │\s*6\.46 ms │\s*\+1\.49 ms \(\+30\.0%\) │ REGRESSED/);
    expect(r.stdout).toMatch(/│ memory\/conn \(RSS\)\s*│\s*10\.0 KiB │\s*10\.0 KiB │\s*0 │ same/);
    expect(r.stdout).toMatch(/│ lost\s*│\s*0 │\s*2 │\s*\+2 \(new\) │ REGRESSED/);
    expect(cli(['compare', base, improved]).stdout).toContain('0 regressed, 12 improved, 6 unchanged');
    const quiet = cli(['compare', base, noisy]);
    expect(quiet.stdout).toContain('0 regressed, 0 improved, 18 unchanged');
    expect(quiet.stdout).toContain('within ±5% noise');
  });

  it('--fail-on exits 1 naming the rule, the model and by how much', () => {
    const r = cli(['compare', base, regressed, '--fail-on', 'latency.p99 > +10%', '--fail-on', 'lost > 0']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'FAIL sse latencyMs.p99: 4.97 ms → 6.46 ms (+1.49 ms, +30.0%) fails "latency.p99 > +10%", 20.0 points past the limit',
    );
    expect(r.stdout).toContain('FAIL websocket messages.lost: 0 → 2 (+2, new) fails "lost > 0", 2 past the limit');
    expect(r.stderr).toContain('CB_ERR_COMPARE_FAILED');
    expect(cli(['compare', base, improved, '--fail-on', 'latency.p99 > +10%']).status).toBe(0);
    expect(cli(['compare', base, noisy, '--fail-on', 'latency.p99 > +5%']).status).toBe(0);
    expect(cli(['compare', base, noisy, '--fail-on', 'latency.p99 > +2%']).status).toBe(1);
  });

  it('with a repeated base, flags only changes beyond its spread and says so', () => {
    const spread = (scale: number) =>
      syntheticResult([repeatedRow({ model: 'sse', latencyBaseUs: 1000 }, [0.9 * scale, scale, 1.1 * scale])], { repeat: 3 });
    const b = save('rep-base.json', spread(1));
    const h = save('rep-head.json', spread(1.08));
    const r = cli(['compare', b, h, '--fail-on', 'latency.p99 > +5%']);
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain('within base spread');
    expect(r.stdout).toContain("lies within the base's own spread");
    expect(r.stdout).toContain("only when it is larger than the base's own spread");
    expect(cli(['compare', b, save('rep-worse.json', spread(1.4)), '--fail-on', 'latency.p99 > +5%']).status).toBe(1);
  });

  it('--format json and markdown', () => {
    const json = cli(['compare', base, regressed, '--format', 'json']);
    expect(json.status).toBe(0);
    const cmp = JSON.parse(json.stdout);
    expect(cmp.rows).toHaveLength(2);
    expect(cmp.rows[0].cells.find((c: { metric: string }) => c.metric === 'latencyMs.p99').verdict).toBe('regressed');
    const md = cli(['compare', base, regressed, '--format', 'markdown']);
    expect(md.stdout.startsWith('### connbench compare: synthetic')).toBe(true);
    expect(md.stdout).toContain('| **websocket** | latency p50 |');
    expect(cli(['compare', base, regressed, '--format', 'csv']).status).toBe(2);
  });

  it('bad input exits 2 naming the file and the problem', () => {
    const missing = cli(['compare', base, path.join(dir, 'nope.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nope.json does not exist');
    const notJson = cli(['compare', save('garbage.json', 'not json {'), base]);
    expect(notJson.status).toBe(2);
    expect(notJson.stderr).toMatch(/garbage\.json is not JSON/);
    const future = JSON.parse(JSON.stringify(syntheticResult([]))) as Omit<RunResult, 'schemaVersion'> & { schemaVersion: number };
    future.schemaVersion = 8;
    const other = cli(['compare', base, save('future.json', future)]);
    expect(other.status).toBe(2);
    expect(other.stderr).toContain('future.json has schemaVersion 8; this connbench reads schemaVersion 1, 2, 3, 4, 5, 6 and 7 (writes 7)');
    const badRule = cli(['compare', base, regressed, '--fail-on', 'latency.p99 > soon']);
    expect(badRule.status).toBe(2);
    expect(badRule.stderr).toContain('neither a signed change');
  });

  it('different scenarios: compared, with a warning naming what differs', () => {
    const other = save(
      'other.json',
      syntheticResult([syntheticRow({ model: 'sse', latencyBaseUs: 1000 })], { scenario: { clients: 250, workload: { payload: '1KiB' } } }),
    );
    const r = cli(['compare', base, other]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('warning: the runs used different scenarios (clients: 100 → 250; workload.payloadBytes: 128 → 1024)');
    expect(r.stdout).toContain('only in base: websocket');
  });
});
