import { beforeAll, describe, expect, it } from 'vitest';
import { initHistograms } from '../../src/metrics/histogram.js';
import { renderRunTable } from '../../src/report/table.js';
import { unfinishedModelResult } from '../../src/report/partial.js';
import { syntheticResult, syntheticRow } from './fixtures.js';

beforeAll(() => initHistograms());

describe('renderRunTable', () => {
  it('prints a row per model with the latency columns and marks a client-bound one', () => {
    const r = syntheticResult([
      syntheticRow({ model: 'sse', latencyBaseUs: 2000 }),
      syntheticRow({
        model: 'tcp',
        latencyBaseUs: 1000,
        status: 'client-bound',
        statusReason:
          "a client worker was saturated (event-loop delay p99 68 ms, CPU 82.4 %): the figures describe connbench's generator, not the model",
      }),
    ]);
    const text = renderRunTable(r);
    expect(text).toContain('latency in ms');
    expect(text).toMatch(/p50.*p90.*p99.*p99\.9.*max.*msg\/s/);
    expect(text).toContain('tcp*');
    expect(text).toContain('tcp* client-bound: a client worker was saturated');
    // The default table fits a 100-column terminal, notes included.
    expect(text.split('\n').every((l) => [...l].length <= 100)).toBe(true);
  });

  it('names the error codes of a model that failed because no client could connect', () => {
    const r = syntheticResult([syntheticRow({ model: 'websocket', latencyBaseUs: 1000 })]);
    const failed = syntheticRow({ model: 'tcp', latencyBaseUs: 1000, status: 'failed', statusReason: 'no client could connect' });
    failed.errors = { CB_ERR_EMFILE: 100 };
    r.models.push(failed);
    const text = renderRunTable(r);
    expect(text).toContain('tcp!');
    expect(text).toContain('tcp! failed: no client could connect');
    expect(text).toContain('CB_ERR_EMFILE×100');
  });

  it('does not repeat the error of a model that did not finish: its note says it', () => {
    const r = syntheticResult([syntheticRow({ model: 'sse', latencyBaseUs: 1000 })]);
    r.models.push(
      unfinishedModelResult(
        'tcp',
        {},
        10,
        { code: 'CB_ERR_CHILD_EXITED', message: 'server process for tcp (pid 1) exited with code 1' },
        true,
      ),
    );
    const text = renderRunTable(r);
    expect(text).toContain('tcp! failed: server process for tcp (pid 1) exited with code 1');
    expect(text).not.toContain('CB_ERR_CHILD_EXITED×1');
  });
});
