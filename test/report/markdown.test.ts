import { beforeAll, describe, expect, it } from 'vitest';
import { renderRunMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
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
  it('lists what reconnect storms and faults did, each fault under its row', () => {
    const row = syntheticRow({ model: 'websocket', latencyBaseUs: 900 });
    row.recovery = { action: 'reconnect-storm', atMs: 5000, droppedClients: 100, backClients: 100, allBackMs: 520, caughtUpMs: 610 };
    row.faults = [
      { fault: 'stall', atMs: 3000, lateMs: 0, faultMs: 1000, droppedClients: 0, backClients: 0, allBackMs: 1000, caughtUpMs: 1012 },
    ];
    const md = renderRunMarkdown(syntheticResult([row, syntheticRow({ model: 'tcp', latencyBaseUs: 800 })]));
    expect(md).toContain(
      [
        '**Faults and reconnect storms**',
        '',
        '- websocket: reconnect storm at 5.0 s dropped 100 clients: all back after 520 ms, every message caught up after 610 ms',
        '- faults, websocket: 0 reconnects, 0 lost, 0 duplicated',
        '  - stall at 3.0 s: server stopped 1000 ms; every message caught up after 1012 ms',
      ].join('\n'),
    );
    expect(renderRunMarkdown(syntheticResult([syntheticRow({ model: 'tcp', latencyBaseUs: 800 })]))).not.toContain(
      'Faults and reconnect storms',
    );
    // The HTML report carries the same lines as notes.
    const html = renderHtml(syntheticResult([row]), { name: 'chart.js', version: '0', source: '' });
    expect(html).toContain('<p class="note">stall at 3.0 s: server stopped 1000 ms; every message caught up after 1012 ms</p>');
  });

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
    const base = syntheticResult([
      syntheticRow({ model: 'sse', latencyBaseUs: 1000 }),
      syntheticRow({ model: 'websocket', latencyBaseUs: 1000 }),
    ]);
    const head = syntheticResult([
      syntheticRow({ model: 'sse', latencyBaseUs: 1000, latencyScale: 0.8 }),
      syntheticRow({ model: 'websocket', latencyBaseUs: 1000, latencyScale: 1.3, lost: 1 }),
    ]);
    const cmp = compareResults(base, head, {
      files: { base: 'results/baselines/pr-check.json', head: 'results/head.json' },
      failOn: [parseFailOn('latency.p99 > +10%')],
    });
    const md = renderCompareMarkdown(cmp);
    expect(md).toContain('🔴 **regressed**');
    expect(md).toContain('🟢 improved');
    expect(md).toContain('**❌ 1 --fail-on rule failed:**');
    expect(md).not.toMatch(/\|[^|\n]*<(?!sub|\/sub|br)/); // no raw HTML inside table cells
    await expect(md).toMatchFileSnapshot('./__snapshots__/compare.md');
  });
});
