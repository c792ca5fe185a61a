/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { renderHtml, reportData } from '../../src/report/html.js';
import { loadChartLibrary } from '../../src/report/chartLibrary.js';
import { evaluateThresholds, parseThresholds } from '../../src/report/thresholds.js';
import { initHistograms, repeatedRow, syntheticResult, syntheticRow } from './fixtures.js';

/**
 * Opens the HTML report in Debian's headless Chromium (installed by .ci/run) and checks what a
 * person would see: four charts drawn, one latency line per model, nothing fetched, no errors.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let dir: string;
let context: BrowserContext;

beforeAll(async () => {
  await initHistograms();
  dir = mkdtempSync(path.join(tmpdir(), 'connbench-html-'));
  // A fresh --user-data-dir per run; playwright takes it as the persistent context's folder.
  context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
    timeout: 30_000,
  });
}, 40_000);

afterAll(async () => {
  await context?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface ChartInfo {
  id: string;
  type: string;
  width: number;
  height: number;
  datasets: { label: string; points: number }[];
  labels: string[];
  paintedPixels: number;
}

describe('HTML report in headless Chromium', () => {
  it('renders the percentile plot with one line per model and the three bar charts, offline and without errors', async () => {
    const result = syntheticResult(
      [
        syntheticRow({ model: 'short-poll', latencyBaseUs: 50_000, bytesPerMessage: 600 }),
        syntheticRow({ model: 'long-poll', latencyBaseUs: 3000, bytesPerMessage: 420 }),
        syntheticRow({ model: 'sse', latencyBaseUs: 1500 }),
        repeatedRow({ model: 'websocket', latencyBaseUs: 900 }, [0.9, 1, 1.1]),
        syntheticRow({ model: 'tcp', latencyBaseUs: 800, deliveries: 20_000 }),
      ],
      { scenario: { name: 'browser <check> & "quotes"', thresholds: { 'websocket.latency.p99': '< 1ms' } } },
    );
    result.thresholds = evaluateThresholds(parseThresholds(result.scenario.thresholds), result);
    const html = renderHtml(result, loadChartLibrary());
    const file = path.join(dir, 'report.html');
    writeFileSync(file, html);

    const problems: string[] = [];
    const requests: string[] = [];
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 15_000 });
    await page.waitForFunction(
      () => [...document.querySelectorAll('canvas')].every((c) => (globalThis as any).Chart.getChart(c)),
      undefined,
      { timeout: 10_000 },
    );

    const charts = (await page.evaluate(() =>
      [...document.querySelectorAll('canvas')].map((c) => {
        const chart = (globalThis as any).Chart.getChart(c);
        const ctx = c.getContext('2d')!;
        const pixels = ctx.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
        const box = c.getBoundingClientRect();
        return {
          id: c.id,
          type: chart.config.type,
          width: box.width,
          height: box.height,
          datasets: chart.data.datasets.map((d: any) => ({ label: d.label, points: d.data.length })),
          labels: chart.data.labels ?? [],
          paintedPixels: painted,
        };
      }),
    )) as ChartInfo[];

    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    expect(charts.map((c) => c.id)).toEqual(['chart-latency', 'chart-memory', 'chart-cpu', 'chart-bytes']);
    const models = ['short-poll', 'long-poll', 'sse', 'websocket', 'tcp'];
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(200);
      expect(c.height, c.id).toBeGreaterThan(150);
      expect(c.paintedPixels, c.id).toBeGreaterThan(2000);
    }
    const latency = charts[0]!;
    expect(latency.type).toBe('line');
    expect(latency.datasets.map((d) => d.label)).toEqual(models);
    for (const d of latency.datasets) expect(d.points, d.label).toBeGreaterThan(20);
    // tcp has 20 times the deliveries, so its curve reaches further into the tail
    expect(latency.datasets[4]!.points).toBeGreaterThan(latency.datasets[0]!.points);
    const xTicks = await page.evaluate(() =>
      (globalThis as any).Chart.getChart(document.getElementById('chart-latency')).scales.x.ticks.map((t: any) => t.label),
    );
    expect(xTicks.slice(0, 4)).toEqual(['0%', '90%', '99%', '99.9%']);
    for (const c of charts.slice(1)) {
      expect(c.type).toBe('bar');
      expect(c.labels).toEqual(models);
    }
    expect(charts[1]!.datasets.map((d) => d.label)).toEqual(['server RSS', 'server V8 heap', 'kernel socket memory']);
    // scenario, environment and thresholds are on the page, escaped
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain('connbench: browser <check> & "quotes"');
    expect(text).toContain('Thresholds: 0 passed, 1 failed');
    expect(text).toContain('Environment');
    expect(text).toMatch(/Chart\.js 4\.\d+\.\d+/);
    await page.close();
  });

  it('draws what the result holds: failed models are left out of the charts', async () => {
    await initHistograms();
    const data = reportData(
      syntheticResult([
        syntheticRow({ model: 'sse', latencyBaseUs: 1000 }),
        syntheticRow({ model: 'tcp', latencyBaseUs: 1000, status: 'failed' }),
      ]),
    );
    expect(data.series.map((s) => s.label)).toEqual(['sse']);
    expect(data.bars.labels).toEqual(['sse']);
    expect(data.bars.memory.rss).toEqual([10]);
  });
});
