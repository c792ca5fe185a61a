import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { readResultFile } from '../../src/report/readResult.js';
import { parseFailOn } from '../../src/report/compare.js';
import { parseThresholds } from '../../src/report/thresholds.js';
import { loadScenario } from '../../src/scenario/load.js';

/**
 * The example GitHub Actions workflow must keep working as the CLI changes: the files it names
 * exist, the baseline is a current result of the scenario it runs, and its rules parse.
 */
const WORKFLOW = 'examples/github-actions-connbench.yml';

describe('examples/github-actions-connbench.yml', () => {
  const text = readFileSync(WORKFLOW, 'utf8');
  const workflow = parse(text) as { jobs: Record<string, { steps: { run?: string }[] }> };
  const runs = Object.values(workflow.jobs)
    .flatMap((j) => j.steps.map((s) => s.run ?? ''))
    .join('\n');

  it('runs a bundled example scenario and compares it with a committed baseline of that scenario', () => {
    expect(runs).toContain('node bin/connbench.js run examples/ci-smoke.yaml --repeat 3');
    expect(runs).toContain('node bin/connbench.js compare results/baselines/ci-smoke.json results/head.json');
    expect(runs).toContain('$GITHUB_STEP_SUMMARY');
    const scenario = loadScenario('examples/ci-smoke.yaml')[0]!;
    expect(Object.keys(scenario.thresholds).length).toBeGreaterThan(0);
    expect(() => parseThresholds(scenario.thresholds)).not.toThrow();
    expect(existsSync('results/baselines/ci-smoke.json')).toBe(true);
    const baseline = readResultFile('results/baselines/ci-smoke.json');
    expect(baseline.complete).toBe(true);
    expect(baseline.repeat).toBe(3);
    expect(baseline.scenario.name).toBe(scenario.name);
    expect(baseline.models.map((m) => m.model)).toEqual(scenario.models);
    for (const m of baseline.models) {
      expect(m.repeats, m.model).toHaveLength(3);
      expect(m.messages.lost, m.model).toBe(0);
    }
  });

  it('has --fail-on rules that parse, and pass when the baseline is compared with itself', () => {
    const rules = [...runs.matchAll(/--fail-on '([^']+)'/g)].map((m) => m[1]!);
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) expect(() => parseFailOn(r)).not.toThrow();
    const baseline = 'results/baselines/ci-smoke.json';
    const r = runCli(['compare', baseline, baseline, '--format', 'markdown', ...rules.flatMap((x) => ['--fail-on', x])]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('✅ every --fail-on rule passed.');
  });
});
