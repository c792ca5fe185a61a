import { describe, expect, it } from 'vitest';
import { runCli as cli } from '../helpers/cli.js';
import { bundledNames } from '../../src/scenario/load.js';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const dir = mkdtempSync(path.join(tmpdir(), 'connbench-cli-scenario-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const BUNDLED = bundledNames();

describe('connbench validate, list, schema (the built CLI)', () => {
  it('validates every bundled scenario with exit 0', () => {
    expect(BUNDLED).toContain('default');
    const r = cli(['validate', ...BUNDLED]);
    expect(r.status, r.stderr).toBe(0);
    for (const n of BUNDLED)
      expect(r.stdout).toMatch(new RegExp(`^${n}: ok \\(\\d+ points? × \\d models?(, \\d+ runs)?, about [\\d.]+ (s|min) to run\\)$`, 'm'));
  });

  it('reports every bad file at once with exit 2: field errors with paths, did-you-mean, YAML line and column, a missing file', () => {
    const fields = file('fields.yaml', 'name: f\nclinets: 10\nworkload: { pattern: chat, rate: ten }\nduration: soon\n');
    const syntax = file('syntax.yaml', 'name: s\nworkload: { rate: 10/s\nclients: 3\n');
    const missing = path.join(dir, 'missing.yaml');
    const r = cli(['validate', fields, syntax, missing, 'default']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('clinets: unknown key, did you mean "clients"?');
    expect(r.stderr).toContain('workload.rate: expected a rate like "10/s", got "ten"');
    expect(r.stderr).toContain('duration: expected a duration like "10s", got "soon"');
    expect(r.stderr).toMatch(/syntax\.yaml:\d+:\d+: /);
    expect(r.stderr).toContain('CB_ERR_SCENARIO_SYNTAX');
    expect(r.stderr).toMatch(/scenario file ".*missing\.yaml" does not exist/);
    // The good one is still checked.
    expect(r.stdout).toMatch(/^default: ok/m);
  });

  it('refuses a scenario that needs more sockets than this machine allows, with the numbers, as run would (exit 3)', () => {
    const r = cli(['validate', file('huge.yaml', 'name: huge\nclients: 80000\n')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('CB_ERR_TOO_MANY_SOCKETS');
    expect(r.stderr).toMatch(/80000 clients need 80000 sockets/);
    expect(r.stderr).toMatch(/hint: .*use at most \d+ clients/);
  });

  it('run refuses bad input with exit 2 before starting anything: no result file is written', () => {
    const out = path.join(dir, 'never.json');
    const r = cli(['run', file('bad-run.yaml', 'name: b\nworkload: { pattern: chat, burst: 3 }\n'), '--out', out, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('workload.burst: only the idle pattern ends with a burst');
    expect(existsSync(out)).toBe(false);
  });

  it('prints the committed JSON Schema and lists every bundled scenario with its question', () => {
    const schema = cli(['schema']);
    expect(schema.status).toBe(0);
    expect(JSON.parse(schema.stdout)).toEqual(JSON.parse(readFileSync('scenario.schema.json', 'utf8')));
    const list = cli(['list']);
    expect(list.status).toBe(0);
    for (const n of BUNDLED) expect(list.stdout).toMatch(new RegExp(`^  ${n} +\\S.*\\?$`, 'm'));
  });

  it('--resolved prints each matrix point as a complete file that validates on its own', () => {
    const r = cli(['validate', 'poll-interval-sweep', '--resolved']);
    expect(r.status, r.stderr).toBe(0);
    const docs = r.stdout.split(/^---$/m).slice(1);
    expect(docs).toHaveLength(3);
    expect(docs[0]).toContain('# matrix point: shortPoll.interval = 250');
    const again = cli(['validate', file('point.yaml', docs[2]!)]);
    expect(again.status, again.stderr).toBe(0);
  });
});
