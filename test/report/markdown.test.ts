import { beforeAll, describe, expect, it } from 'vitest';
import { renderRunMarkdown } from '../../src/report/markdown.js';
import { renderCompareMarkdown } from '../../src/report/compareRender.js';
import { compareResults, parseFailOn } from '../../src/report/compare.js';
import { evaluateThresholds, parseThresholds } from '../../src/report/thresholds.js';
import { initHistograms, repeatedRow, syntheticResult, syntheticRow } from './fixtures.js';

beforeAll(async () => {
  await initHistograms();
});

const run = () => {
  const r = syntheticResult(
    [
      syntheticRow({ model: 'long-poll', latencyBaseUs: 3000, bytesPerMessage: 420 }),
      syntheticRow({ model: 'sse', latencyBaseUs: 1500 }),
      syntheticRow({ model: 'websocket', latencyBaseUs: 900, lost: 3 }),
      syntheticRow({ model: 'tcp', latencyBaseUs: 800, status: 'failed', statusReason: 'no client could connect' }),
    ],
    { scenario: { name: 'pr-check', thresholds: { '*.lost': '== 0', 'websocket.latency.p99': '< 20ms' } } },
  );
  r.thresholds = evaluateThresholds(parseThresholds(r.scenario.thresholds), r);
  return r;
};

describe('markdown', () => {
  it('renders a run for a PR comment: table, thresholds, environment', async () => {
    const md = renderRunMarkdown(run());
    expect(md).toContain('| **websocket** | ok | 100/100 | 1,000 | **3** |');
    expect(md).toContain('**Thresholds: 3 passed, 2 failed**');
    await expect(md).toMatchFileSnapshot('./__snapshots__/run.md');
  });

  it('renders a repeated run with the range of each figure', async () => {
    const r = syntheticResult([repeatedRow({ model: 'sse', latencyBaseUs: 1000 }, [0.9, 1, 1.1])], { repeat: 3 });
    const md = renderRunMarkdown(r);
    expect(md).toContain('3 repeats per model');
    expect(md).toMatch(/\| \*\*sse\*\* \| ok \| 100\/100 \| 3,000 \| 0 \| [\d.]+ \[[\d.]+–[\d.]+\] \|/);
    await expect(md).toMatchFileSnapshot('./__snapshots__/run-repeated.md');
  });

  it('renders a comparison with regressions marked and failed --fail-on rules first', async () => {
    const base = syntheticResult([syntheticRow({ model: 'sse', latencyBaseUs: 1000 }), syntheticRow({ model: 'websocket', latencyBaseUs: 1000 })]);
    const head = syntheticResult([syntheticRow({ model: 'sse', latencyBaseUs: 1000, latencyScale: 0.8 }), syntheticRow({ model: 'websocket', latencyBaseUs: 1000, latencyScale: 1.3, lost: 1 })]);
    const cmp = compareResults(base, head, { files: { base: 'results/baselines/pr-check.json', head: 'results/head.json' }, failOn: [parseFailOn('latency.p99 > +10%')] });
    const md = renderCompareMarkdown(cmp);
    expect(md).toContain('🔴 **regressed**');
    expect(md).toContain('🟢 improved');
    expect(md).toContain('**❌ 1 --fail-on rule failed:**');
    expect(md).not.toMatch(/\|[^|\n]*<(?!sub|\/sub|br)/); // no raw HTML inside table cells
    await expect(md).toMatchFileSnapshot('./__snapshots__/compare.md');
  });
});
