import { MODEL_IDS } from '../../src/models/index.js';
import type { ShortPollOptions } from '../../src/models/short-poll/index.js';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUNDLED_DIR, applyOverrides, bundledNames, loadScenario, parseScenarioText, validateScenario } from '../../src/scenario/load.js';
import { planRun } from '../../src/runner/plan.js';
import { checkScenario } from '../../src/cli/validate.js';
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
    expect(s!.models).toEqual([...MODEL_IDS]);
    expect(s!.shortPoll).toEqual({ intervalMs: 1000, keepAlive: true });
    expect(s!.matrix).toEqual({});
  });

  it('reports every error at once, each with its path', () => {
    const e = errorOf(() =>
      validateScenario({ clients: -5, workload: { rate: 'ten' }, duration: 'long', models: ['sse', 'smoke-signals'] }),
    );
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
    expect(points.map((s) => [s.clients, (s.shortPoll as ShortPollOptions).intervalMs])).toEqual([
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

  it('validates every bundled scenario, each with its schema line, the question it answers, and room on this machine', () => {
    const names = bundledNames();
    expect(names).toEqual([
      'chat-room',
      'default',
      'idle-10k',
      'idle-memory',
      'keep-alive',
      'poll-interval-sweep',
      'reconnect-storm',
      'resume-vs-none',
      'scale-50k',
      'sse-behind-nginx',
      'ticker-fanout',
      'tls-cost',
    ]);
    for (const n of names) {
      const text = readFileSync(path.join(BUNDLED_DIR, `${n}.yaml`), 'utf8');
      expect(text.split('\n')[0], n).toBe('# yaml-language-server: $schema=../scenario.schema.json');
      const points = loadScenario(n);
      expect(points[0]!.name).toBe(n);
      expect(points[0]!.description, n).toMatch(/\?$/);
      // 20000 open files, as on the machines this runs on.
      for (const p of points) expect(planRun(p, { openFilesLimit: 20_000 }).workers, n).toBeGreaterThan(0);
    }
  });

  it('keeps the default scenario what `run` runs with no argument: 1000 clients, five models, a 10/s ticker', () => {
    const [d] = loadScenario('default');
    expect(d).toMatchObject({
      clients: 1000,
      rampUpMs: 2000,
      warmupMs: 2000,
      durationMs: 10_000,
      workload: { pattern: 'broadcast', ratePerSec: 10, payloadBytes: 128 },
    });
    expect(d!.models).toEqual([...MODEL_IDS]);
  });

  it('refuses combinations that would silently mean something else, all at once, each at its path', () => {
    const e = errorOf(() =>
      validateScenario({
        clients: 1,
        rampUp: '1s',
        connectRate: '10/s',
        warmup: '1s',
        duration: '2s',
        workload: { pattern: 'chat', burst: 5 },
        actions: [
          { action: 'reconnect-storm', at: '1s' },
          { action: 'reconnect-storm', at: '3s' },
        ],
        client: { reconnect: { minDelay: '5s', maxDelay: '1s' } },
      }),
    );
    expect(e.code).toBe('CB_ERR_SCENARIO_INVALID');
    expect(e.message).toContain('connectRate: give rampUp or connectRate, not both');
    expect(e.message).toContain('workload.burst: only the idle pattern ends with a burst (pattern is chat)');
    expect(e.message).toContain('clients: chat needs at least 2 clients');
    expect(e.message).toContain('actions.1.at: 3000 ms is not before the end of warmup + duration (3000 ms)');
    expect(e.message).toContain('actions.1: one reconnect-storm per scenario');
    expect(e.message).toContain('client.reconnect.minDelay: must not exceed maxDelay');
    const rooms = errorOf(() => validateScenario({ clients: [20, 5], workload: { pattern: 'chat', roomSize: 10 } }));
    expect(rooms.message).toContain('workload.roomSize: a room of 10 needs at least 10 clients; the smallest point has 5');
    expect(errorOf(() => validateScenario({ workload: { roomSize: 3 } })).message).toContain(
      'workload.roomSize: only the chat pattern has rooms',
    );
    expect(errorOf(() => validateScenario({ workload: { rate: '0/s' } })).message).toContain('workload.rate: must be above 0/s');
  });

  it('names unknown keys and bad values inside lists of objects too', () => {
    const e = errorOf(() => validateScenario({ actions: [{ acton: 'reconnect-storm', at: 'soon' }] }));
    expect(e.message).toContain('actions.0.acton: unknown key, did you mean "action"?');
    expect(e.message).toContain('actions.0.at: expected a duration like "5s", got "soon"');
    expect(errorOf(() => validateScenario({ actions: [{ action: 'earthquake', at: '1s' }] })).message).toContain(
      'actions.0.action: expected one of "reconnect-storm"',
    );
    expect(errorOf(() => validateScenario({ churn: 'lots' })).message).toContain('churn: expected a rate like "5/s", got "lots"');
    expect(errorOf(() => validateScenario({ workload: { payload: '4 parsecs' } })).message).toContain(
      'workload.payload: expected a size like "128B", got "4 parsecs"',
    );
  });

  it('gives line and column for JSON syntax errors where the parser names a place', () => {
    const e = errorOf(() => parseScenarioText('{\n  "name": "x",\n}\n', 'bad.json'));
    expect(e.code).toBe('CB_ERR_SCENARIO_SYNTAX');
    expect(e.message).toMatch(/^bad\.json:3:1: /);
    expect(errorOf(() => parseScenarioText('{"a": 1', 'cut.json')).message).toMatch(/^cut\.json:1:\d+: /);
  });

  it('reads a JSON scenario file the same as YAML', () => {
    const p = file(
      'j.json',
      JSON.stringify({ $schema: '../scenario.schema.json', name: 'j', clients: [3, 4], workload: { pattern: 'chat', rate: '2/s' } }),
    );
    expect(loadScenario(p).map((s) => [s.clients, s.workload.ratePerSec])).toEqual([
      [3, 2],
      [4, 2],
    ]);
  });

  it('refuses, before anything starts, a point that needs more sockets than a process may hold, with the numbers and what to change', () => {
    const p = file('huge.yaml', 'name: huge\nclients: [100, 60000]\n');
    const e = errorOf(() => checkScenario(p, { openFilesLimit: 20_000 }));
    expect(e.code).toBe('CB_ERR_TOO_MANY_SOCKETS');
    expect(e.message).toContain('matrix point clients = 60000');
    expect(e.message).toMatch(/60000 clients need 60000 sockets in the server process, but one process may hold about \d+ sockets/);
    expect(e.hint).toMatch(/use at most \d+ clients/);
    expect(checkScenario(file('fits.yaml', 'name: fits\nclients: 100\n'), { openFilesLimit: 20_000 })).toMatch(
      new RegExp(`fits\\.yaml: ok \\(1 point × ${MODEL_IDS.length} models, about [\\d.]+ (s|min) to run\\)`),
    );
  });
});
