import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli, expectRefused } from './cliInProcess.js';
import { initHistograms, syntheticResult, syntheticRow } from '../report/fixtures.js';
import { combineRepeats } from '../../src/report/repeats.js';

/**
 * Result files that are not what `connbench run` wrote: cut short, of another kind, with a corrupt
 * histogram (a row's or a repeat's), with figures of the wrong type, or a directory. compare,
 * report, report --html and report --check each refuse them, exit 2, naming the file and what is
 * wrong, with a hint and no stack.
 */

let dir: string;
const at = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'connbench-hostile-'));
  await initHistograms();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hostile result files', () => {
  const good = () => syntheticResult([syntheticRow({ model: 'websocket', latencyBaseUs: 1000 })]);
  const corruptRepeats = () => {
    const r = good();
    const row = combineRepeats([
      syntheticRow({ model: 'websocket', latencyBaseUs: 1000 }),
      syntheticRow({ model: 'websocket', latencyBaseUs: 900 }),
    ]);
    row.repeats![1]!.histogram = 'HISTFAAAAB3not-a-histogram';
    r.models = [row];
    return r;
  };
  const BAD: [string, () => string, string][] = [
    ['truncated.json', () => JSON.stringify(good()).slice(0, 500), 'CB_ERR_RESULT_NOT_JSON'],
    ['empty.json', () => '', 'CB_ERR_RESULT_NOT_JSON'],
    ['heartbeat.json', () => JSON.stringify({ schemaVersion: 2, kind: 'heartbeat', models: [] }), 'CB_ERR_RESULT_KIND'],
    ['future.json', () => JSON.stringify({ ...good(), schemaVersion: 99 }), 'CB_ERR_RESULT_SCHEMA'],
    ['array.json', () => '[1,2,3]', 'CB_ERR_RESULT_INVALID'],
    [
      'histogram.json',
      () => JSON.stringify({ ...good(), models: [{ ...good().models[0], histogram: 'bm90IGEgaGlzdG9ncmFt' }] }),
      'CB_ERR_RESULT_INVALID',
    ],
    [
      'histogram-garbage.json',
      () => JSON.stringify({ ...good(), models: [{ ...good().models[0], histogram: '%%%' }] }),
      'CB_ERR_RESULT_INVALID',
    ],
    ['repeats.json', () => JSON.stringify(corruptRepeats()), 'CB_ERR_RESULT_INVALID'],
    [
      'types.json',
      () => JSON.stringify({ ...good(), models: [{ ...good().models[0], latencyMs: { p50: 'fast' } }] }),
      'CB_ERR_RESULT_INVALID',
    ],
    ['scenario.json', () => JSON.stringify({ ...good(), scenario: { name: 5 } }), 'CB_ERR_RESULT_INVALID'],
  ];

  it.each(BAD)('%s: compare, report, report --html and report --check refuse it (%s)', async (name, content, code) => {
    writeFileSync(at(name), content());
    writeFileSync(at('good.json'), JSON.stringify(good()));
    for (const args of [
      ['compare', at('good.json'), at(name)],
      ['compare', at(name), at('good.json')],
      ['report', at(name)],
      ['report', at(name), '--html', at('r.html')],
      ['report', at(name), '--check'],
    ])
      expectRefused(await cli(args), name, undefined, code);
  });

  it('a directory is refused as one', async () => {
    mkdirSync(at('results-dir'), { recursive: true });
    const r = await cli(['report', at('results-dir')]);
    expectRefused(r, 'results-dir', undefined, 'CB_ERR_RESULT_UNREADABLE');
    expect(r.stderr).toContain('is a directory');
  });
});
