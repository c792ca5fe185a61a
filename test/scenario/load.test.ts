import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyOverrides, bundledNames, loadScenario, parseScenarioText, validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { ConnbenchError } from '../../src/util/errors.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'connbench-scenario-'));
const file = (name: string, text: string) => {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const errorOf = (f: () => unknown): ConnbenchError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConnbenchError) return e;
    throw e;
  }
  throw new Error('expected an error');
};

describe('scenario loading', () => {
  it('resolves units and defaults', () => {
    const [s] = expandMatrix(validateScenario({ name: 'x', duration: '3s', workload: { rate: '20/s', payload: '1KiB' } }));
    expect(s!.durationMs).toBe(3000);
    expect(s!.workload).toMatchObject({ pattern: 'broadcast', ratePerSec: 20, payloadBytes: 1024 });
    expect(s!.models).toEqual(['short-poll', 'long-poll', 'sse', 'websocket', 'tcp']);
    expect(s!.shortPoll.intervalMs).toBe(1000);
    expect(s!.matrix).toEqual({});
  });

  it('reports every error at once, each with its path', () => {
    const e = errorOf(() => validateScenario({ clients: -5, workload: { rate: 'ten' }, duration: 'long', models: ['sse', 'smoke-signals'] }));
    expect(e.kind).toBe('input');
    expect(e.message).toContain('clients');
    expect(e.message).toContain('workload.rate: expected a rate like "10/s", got "ten"');
    expect(e.message).toContain('duration: expected a duration like "10s", got "long"');
    expect(e.message).toMatch(/models\.1: expected one of .*"websocket"/);
  });

  it('suggests the key meant by an unknown one', () => {
    const e = errorOf(() => validateScenario({ clinets: 10, workload: { patern: 'chat' } }));
    expect(e.message).toContain('clinets: unknown key, did you mean "clients"?');
    expect(e.message).toContain('workload.patern: unknown key, did you mean "pattern"?');
  });

  it('gives line and column for YAML syntax errors', () => {
    const e = errorOf(() => parseScenarioText('name: x\nclients: [1, 2\n', 'bad.yaml'));
    expect(e.code).toBe('CB_ERR_SCENARIO_SYNTAX');
    expect(e.message).toMatch(/bad\.yaml:\d+:\d+/);
  });

  it('names a missing file as such', () => {
    const e = errorOf(() => loadScenario(path.join(tmp, 'nope.yaml')));
    expect(e.code).toBe('CB_ERR_SCENARIO_NOT_FOUND');
    expect(e.message).toContain('nope.yaml');
  });

  it('expands list-valued fields into a matrix', () => {
    const p = file('m.yaml', 'name: m\nclients: [10, 20]\nshortPoll: { interval: [250ms, 1s] }\n');
    const points = loadScenario(p);
    expect(points.map((s) => [s.clients, s.shortPoll.intervalMs])).toEqual([
      [10, 250],
      [10, 1000],
      [20, 250],
      [20, 1000],
    ]);
    expect(points[3]!.matrix).toEqual({ clients: 20, 'shortPoll.interval': 1000 });
  });

  it('applies CLI overrides on top of the file before validation', () => {
    const raw = applyOverrides({ workload: { rate: '1/s' } }, { 'workload.rate': '5/s', clients: 7, duration: undefined });
    expect(raw).toEqual({ workload: { rate: '5/s' }, clients: 7 });
  });

  it('validates every bundled scenario', () => {
    const names = bundledNames();
    expect(names).toContain('default');
    for (const n of names) expect(loadScenario(n).length).toBeGreaterThan(0);
  });
});
