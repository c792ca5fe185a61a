import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseResultText, readResultFile } from '../../src/report/readResult.js';
import { ConnbenchError } from '../../src/util/errors.js';

const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err as ConnbenchError;
  }
  throw new Error('expected an error');
};

describe('reading a result file', () => {
  it('names the file and the problem, as bad input', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-read-'));
    const missing = errorOf(() => readResultFile(path.join(dir, 'nope.json')));
    expect(missing).toMatchObject({ code: 'CB_ERR_RESULT_NOT_FOUND', kind: 'input' });
    expect(missing.message).toContain('nope.json does not exist');
    const notJson = errorOf(() => parseResultText('{"schemaVersion": 1,', 'a.json'));
    expect(notJson).toMatchObject({ code: 'CB_ERR_RESULT_NOT_JSON', kind: 'input' });
    expect(notJson.message).toMatch(/^a\.json is not JSON: /);
    const v4 = errorOf(() => parseResultText('{"schemaVersion": 4, "models": []}', 'b.json'));
    expect(v4).toMatchObject({ code: 'CB_ERR_RESULT_SCHEMA', kind: 'input' });
    expect(v4.message).toBe('b.json has schemaVersion 4; this connbench reads schemaVersion 1, 2 and 3 (writes 3)');
    const noVersion = errorOf(() => parseResultText('{"models": []}', 'c.json'));
    expect(noVersion.message).toContain('c.json has schemaVersion null');
    const partial = errorOf(() => parseResultText('{"schemaVersion": 1, "models": [{"model": "sse"}], "scenario": {}}', 'd.json'));
    expect(partial).toMatchObject({ code: 'CB_ERR_RESULT_INVALID' });
    expect(partial.message).toContain('models[0].histogram is missing');
    const heartbeat = errorOf(() => parseResultText('{"schemaVersion": 1, "kind": "heartbeat", "sweeps": []}', 'hb.json'));
    expect(heartbeat).toMatchObject({ code: 'CB_ERR_RESULT_KIND', kind: 'input' });
    expect(heartbeat.message).toContain('hb.json is a "heartbeat" result');
    const file = path.join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ schemaVersion: 1, models: [], scenario: { name: 'x' } }));
    expect(readResultFile(file).models).toEqual([]);
    // 2 added the bounds and the publisher's lateness, 3 the fields of remote runs (clock, shards): both read too.
    writeFileSync(file, JSON.stringify({ schemaVersion: 2, models: [], scenario: { name: 'y' } }));
    expect(readResultFile(file).scenario.name).toBe('y');
    writeFileSync(file, JSON.stringify({ schemaVersion: 3, models: [], scenario: { name: 'z' } }));
    expect(readResultFile(file).scenario.name).toBe('z');
    const shard = errorOf(() => parseResultText('{"schemaVersion": 2, "kind": "shard", "models": []}', 's0.json'));
    expect(shard).toMatchObject({ code: 'CB_ERR_RESULT_KIND', kind: 'input' });
    expect(shard.hint).toContain('connbench merge');
  });
});
