import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseResultText, readResultFile } from '../../src/report/readResult.js';
import { ConnbenchError } from '../../src/util/errors.js';
import { initHistograms, syntheticResult, syntheticRow } from './fixtures.js';
import { unfinishedModelResult } from '../../src/report/partial.js';
import { renderRunTable } from '../../src/report/table.js';

/** A real result of schemaVersion 1: the example workflow's baseline of 2026-11-23 (examples/ci-smoke.yaml, --repeat 3). */
const V1_RESULT = new URL('../fixtures/results/ci-smoke-v1.json', import.meta.url).pathname;

const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err as ConnbenchError;
  }
  throw new Error('expected an error');
};

beforeAll(initHistograms);

describe('reading a result file', () => {
  it('names the file and the problem, as bad input', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-read-'));
    const missing = errorOf(() => readResultFile(path.join(dir, 'nope.json')));
    expect(missing).toMatchObject({ code: 'CB_ERR_RESULT_NOT_FOUND', kind: 'input' });
    expect(missing.message).toContain('nope.json does not exist');
    const notJson = errorOf(() => parseResultText('{"schemaVersion": 1,', 'a.json'));
    expect(notJson).toMatchObject({ code: 'CB_ERR_RESULT_NOT_JSON', kind: 'input' });
    expect(notJson.message).toMatch(/^a\.json is not JSON: /);
    const v8 = errorOf(() => parseResultText('{"schemaVersion": 8, "models": []}', 'b.json'));
    expect(v8).toMatchObject({ code: 'CB_ERR_RESULT_SCHEMA', kind: 'input' });
    expect(v8.message).toBe('b.json has schemaVersion 8; this connbench reads schemaVersion 1, 2, 3, 4, 5, 6 and 7 (writes 7)');
    const noVersion = errorOf(() => parseResultText('{"models": []}', 'c.json'));
    expect(noVersion.message).toContain('c.json has schemaVersion null');
    const partial = errorOf(() => parseResultText('{"schemaVersion": 2, "models": [{"model": "sse"}], "scenario": {}}', 'd.json'));
    expect(partial).toMatchObject({ code: 'CB_ERR_RESULT_INVALID' });
    expect(partial.message).toContain('tool: expected object, missing');
    expect(partial.message).toContain('and 20 more');
    const heartbeat = errorOf(() => parseResultText('{"schemaVersion": 1, "kind": "heartbeat", "sweeps": []}', 'hb.json'));
    expect(heartbeat).toMatchObject({ code: 'CB_ERR_RESULT_KIND', kind: 'input' });
    expect(heartbeat.message).toContain('hb.json is a "heartbeat" result');
    const file = path.join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify(syntheticResult([])));
    expect(readResultFile(file).models).toEqual([]);
    // 2 added the bounds and the publisher's lateness, 3 the fields of remote runs (clock, shards): both read too, as the current version.
    writeFileSync(
      file,
      JSON.stringify({ ...syntheticResult([]), schemaVersion: 2, scenario: { ...syntheticResult([]).scenario, name: 'y' } }),
    );
    expect(readResultFile(file)).toMatchObject({ schemaVersion: 7, scenario: { name: 'y' } });
    writeFileSync(
      file,
      JSON.stringify({ ...syntheticResult([]), schemaVersion: 3, scenario: { ...syntheticResult([]).scenario, name: 'z' } }),
    );
    expect(readResultFile(file)).toMatchObject({ schemaVersion: 7, scenario: { name: 'z' } });
    const shard = errorOf(() => parseResultText('{"schemaVersion": 2, "kind": "shard", "models": []}', 's0.json'));
    expect(shard).toMatchObject({ code: 'CB_ERR_RESULT_KIND', kind: 'input' });
    expect(shard.hint).toContain('connbench merge');
    mkdirSync(path.join(dir, 'a-dir'));
    expect(errorOf(() => readResultFile(path.join(dir, 'a-dir'))).message).toContain('a-dir is a directory, not a result file');
  });

  it('refuses a figure of the wrong type and a histogram that does not decode or does not match its count, naming where', () => {
    const good = syntheticResult([syntheticRow({ model: 'websocket', latencyBaseUs: 1000 })]);
    const edit = (f: (r: Record<string, any>) => void) => {
      const r = JSON.parse(JSON.stringify(good)) as Record<string, any>;
      f(r);
      return () => parseResultText(JSON.stringify(r), 'e.json');
    };
    expect(errorOf(edit((r) => (r.models[0].latencyMs.p50 = 'fast'))).message).toContain(
      'models[0].latencyMs.p50: expected number, got "fast"',
    );
    expect(errorOf(edit((r) => (r.models[0].histogram = '%%%'))).message).toContain('models[0].histogram is not an HDR histogram');
    const other = syntheticRow({ model: 'sse', latencyBaseUs: 1000, deliveries: 500 }).histogram;
    expect(errorOf(edit((r) => (r.models[0].histogram = other))).message).toContain(
      'models[0].histogram holds 500 deliveries, but latencyMs.count is 1000',
    );
    expect(errorOf(edit((r) => (r.models[0].repeats = [{ ...r.models[0], histogram: 'AAAA' }]))).message).toContain(
      'models[0].repeats[0].histogram is not an HDR histogram',
    );
  });

  it('reads schemaVersion 1, 2 and 3 as 4 states them, and as 7: a version 1 result, and zeros with nothing behind them become null', () => {
    const baseline = readResultFile(V1_RESULT);
    expect(baseline.schemaVersion).toBe(7);
    expect(baseline.models[0]!.latencyMs.p99).toBe(500.223);
    const v1 = JSON.parse(readFileSync(V1_RESULT, 'utf8')) as Record<string, any>;
    const failed = unfinishedModelResult('tcp', {}, 200, { code: 'CB_ERR_X', message: 'x' }, true) as Record<string, any>;
    // Version 1 wrote zeros in a row that did not finish.
    v1.models = [
      {
        ...failed,
        latencyMs: { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 },
        server: { ...failed.server, rssPerConnectionBytes: 0 },
      },
    ];
    const read = parseResultText(JSON.stringify(v1), 'v1.json').models[0]!;
    expect(read.latencyMs).toEqual({ p50: null, p90: null, p99: null, p999: null, max: null, mean: null, count: 0 });
    expect(read.server.rssPerConnectionBytes).toBeNull();
    // Version 2 too, and its bounds go with their figures.
    v1.schemaVersion = 2;
    v1.models[0].server.rssPerConnectionBytesBound = 0;
    const v2 = parseResultText(JSON.stringify(v1), 'v2.json').models[0]!;
    expect(v2.server).toMatchObject({ rssPerConnectionBytes: null, rssPerConnectionBytesBound: null });
    expect(v2.server.cpuUsPerMessageBound).toBeUndefined();
    // Version 3 (a server on another host) wrote zeros the same way; its clock stays.
    v1.schemaVersion = 3;
    const clock = { boundUs: 120, shards: [{ shard: 0, offsetUs: 5, boundUs: 120, driftPpm: 0, driftBoundPpm: 1, minRttUs: 80 }] };
    v1.models[0].clock = clock;
    const v3 = parseResultText(JSON.stringify(v1), 'v3.json').models[0]!;
    expect(v3.latencyMs).toEqual({ p50: null, p90: null, p99: null, p999: null, max: null, mean: null, count: 0 });
    expect(v3.server).toMatchObject({ rssPerConnectionBytes: null, rssPerConnectionBytesBound: null });
    expect(v3.clock).toEqual(clock);
  });

  it('reads a schemaVersion 1 to 4 result with its rows in the current shape, their transport figures (5) not measured', () => {
    const baseline = V1_RESULT;
    const raw = JSON.parse(readFileSync(baseline, 'utf8')) as { schemaVersion: number; models: Record<string, unknown>[] };
    expect(raw.schemaVersion).toBe(1);
    expect(raw.models[0]!.tls).toBeUndefined();
    const r = readResultFile(baseline);
    expect(r.schemaVersion).toBe(7);
    expect(r.models).toHaveLength(raw.models.length);
    for (const [i, m] of r.models.entries()) {
      expect(m.latencyMs).toEqual(raw.models[i]!.latencyMs);
      expect(m.connectMs).toMatchObject({ ...(raw.models[i]!.connectMs as object), tcp: { p50: null, p99: null, max: null } });
      expect(m.tls).toMatchObject({ enabled: false, handshakes: 0, resumedFraction: null });
      expect(m.connections).toEqual({ opened: 0, openedPerSec: null, timeWaitServer: null, timeWaitClient: null });
      expect(m.proxy.kind).toBe('none');
    }
    // No transport columns for rows that have no such figures.
    expect(renderRunTable(r, { wide: true })).not.toContain('tls ms');
  });

  it('reads a schemaVersion 4 row (no figure without samples, no transport) as 5, and refuses transport figures of the wrong type', () => {
    const v4 = JSON.parse(JSON.stringify(syntheticResult([syntheticRow({ model: 'sse', latencyBaseUs: 1000 })]))) as Record<string, any>;
    v4.schemaVersion = 4;
    for (const key of ['tls', 'connections', 'proxy']) delete v4.models[0][key];
    delete v4.models[0].connectMs.tcp;
    delete v4.models[0].connectMs.tls;
    const row = parseResultText(JSON.stringify(v4), 'v4.json').models[0]!;
    expect(row.tls).toMatchObject({ enabled: false, resumedFraction: null });
    expect(row.connections).toEqual({ opened: 0, openedPerSec: null, timeWaitServer: null, timeWaitClient: null });
    expect(row.connectMs.tls).toEqual({ p50: null, p99: null, max: null });
    expect(row.latencyMs).toEqual(v4.models[0].latencyMs);
    const v5 = JSON.parse(JSON.stringify(syntheticResult([syntheticRow({ model: 'sse', latencyBaseUs: 1000 })]))) as Record<string, any>;
    v5.models[0].tls = { ...v5.models[0].tls, enabled: 'yes' };
    expect(errorOf(() => parseResultText(JSON.stringify(v5), 'v5.json')).message).toContain('models[0].tls.enabled: expected boolean');
  });
});
