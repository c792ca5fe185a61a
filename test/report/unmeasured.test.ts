import { beforeAll, describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, initHistograms, samplesFor, summarizeMs } from '../../src/metrics/histogram.js';
import { renderRunTable } from '../../src/report/table.js';
import { renderRunMarkdown } from '../../src/report/markdown.js';
import { reportData } from '../../src/report/html.js';
import { unfinishedModelResult } from '../../src/report/partial.js';
import { evaluateThresholds, parseThresholds } from '../../src/report/thresholds.js';
import { compareResults, parseFailOn } from '../../src/report/compare.js';
import { unmeasuredNotes, whyNotMeasured } from '../../src/report/unmeasured.js';
import type { ModelResult } from '../../src/report/result.js';
import { syntheticResult, syntheticRow } from './fixtures.js';

beforeAll(() => initHistograms());

/** A websocket row of `deliveries` deliveries, 1 ms each; with none, a row whose clients got nothing in the window. */
function rowOf(deliveries: number): ModelResult {
  const row = syntheticRow({ model: 'websocket', latencyBaseUs: 1000 });
  const h = createHistogram();
  for (let i = 0; i < deliveries; i++) h.recordValue(1000);
  row.latencyMs = summarizeMs(h);
  row.histogram = encodeHistogram(h);
  h.destroy();
  row.messages = { ...row.messages, delivered: deliveries, expected: deliveries };
  if (deliveries === 0) {
    row.server = { ...row.server, cpuUsPerMessage: null };
    row.wire = { ...row.wire, serverBytesPerMessage: null };
  }
  return row;
}

describe('no figure without samples', () => {
  it('a percentile needs 1 / (1 - p) samples: fewer is null, in the summary itself', () => {
    expect([50, 90, 99, 99.9].map(samplesFor)).toEqual([2, 10, 100, 1000]);
    expect(rowOf(0).latencyMs).toEqual({ p50: null, p90: null, p99: null, p999: null, max: null, mean: null, count: 0 });
    expect(rowOf(1).latencyMs).toMatchObject({ p50: null, max: 1, mean: 1, count: 1 });
    expect(rowOf(99).latencyMs).toMatchObject({ p50: 1, p90: 1, p99: null, p999: null });
    expect(rowOf(100).latencyMs).toMatchObject({ p99: 1, p999: null });
    expect(rowOf(1000).latencyMs.p999).toBe(1);
  });

  it('says why a figure is missing', () => {
    expect(whyNotMeasured(rowOf(40), 'latencyMs.p99')).toBe('40 deliveries in the measured window; a p99 needs at least 100');
    expect(whyNotMeasured(rowOf(0), 'latencyMs.p50')).toBe('no deliveries in the measured window');
    expect(whyNotMeasured(rowOf(0), 'server.cpuUsPerMessage')).toBe('no deliveries in the measured window');
    const none = { ...rowOf(0), clients: { target: 10, connected: 0, failed: 10 } };
    expect(whyNotMeasured(none, 'server.rssPerConnectionBytes')).toBe('no client connected');
    expect(unmeasuredNotes([rowOf(40)], ['latencyMs.p50', 'latencyMs.p99'])).toEqual([
      '  websocket: p99 n/a (40 deliveries in the measured window; a p99 needs at least 100)',
    ]);
  });

  it('the table, markdown and HTML show n/a, never 0, with the reason in a note', () => {
    const result = syntheticResult([rowOf(0), unfinishedModelResult('tcp', {}, 100, { code: 'CB_ERR_X', message: 'it broke' }, true)]);
    const table = renderRunTable(result, { wide: true });
    const websocketLine = table.split('\n').find((l) => l.includes('│ websocket'))!;
    expect(websocketLine.match(/n\/a/g)).toHaveLength(7);
    expect(websocketLine).not.toMatch(/│\s+0\.000\s+│/);
    expect(table).toContain(
      '  websocket: p50, p90, p99, p99.9, max, server.cpuUsPerMessage, wire.serverBytesPerMessage n/a (no\n    deliveries in the measured window)',
    );
    const md = renderRunMarkdown(result);
    expect(md).toMatch(/\| \*\*websocket\*\* \| ok \| 100\/100 \| 0 \| 0 \| n\/a \| n\/a \| n\/a \| n\/a \|/);
    expect(md).toContain(
      '- websocket: p50, p99, p99.9, max, server.cpuUsPerMessage, wire.serverBytesPerMessage n/a (no deliveries in the measured window)',
    );
    const data = reportData(result);
    expect(data.series[0]!.points).toEqual([]);
    expect(data.bars.cpu.server).toEqual([null]);
  });

  it('a threshold on a missing figure fails with "no samples"; compare cannot compare it and --fail-on fails', () => {
    const result = syntheticResult([rowOf(40)]);
    const [outcome] = evaluateThresholds(parseThresholds({ 'websocket.latency.p99': '< 20ms' }), result);
    expect(outcome).toMatchObject({ passed: false, actual: null });
    expect(outcome!.message).toBe(
      'websocket.latencyMs.p99: no samples (40 deliveries in the measured window; a p99 needs at least 100), so "< 20ms" cannot be checked',
    );
    const base = syntheticResult([syntheticRow({ model: 'websocket', latencyBaseUs: 1000 })]);
    const cmp = compareResults(base, result, { files: { base: 'b.json', head: 'h.json' }, failOn: [parseFailOn('latency.p99 > +10%')] });
    expect(cmp.rows[0]!.cells.find((c) => c.metric === 'latencyMs.p99')).toMatchObject({
      base: expect.any(Number),
      head: null,
      verdict: 'n/a',
    });
    expect(cmp.failOn[0]).toMatchObject({ failed: true });
    expect(cmp.failOn[0]!.message).toContain('no samples in head (40 deliveries in the measured window; a p99 needs at least 100)');
  });
});
