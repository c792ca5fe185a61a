import type { RunResult, ThresholdOutcome } from './result.js';
import type { ChartLibrary } from './chartLibrary.js';
import { percentileCurve, type CurvePoint } from './percentileCurve.js';
import { scenarioLine } from './scenarioLine.js';
import { repeatNote } from './spreadText.js';
import { SUMMARY_BOUNDED, SUMMARY_HEAD, SUMMARY_PATHS, summaryCells, type SummaryCell } from './summaryColumns.js';
import { uncertainNote } from './uncertain.js';
import { unmeasuredNotes } from './unmeasured.js';
import { spinNotes } from './spinNote.js';
import { rowLabel } from './condition.js';
import { outcomeNotes } from './faultNotes.js';
import { formatBytes } from '../util/units.js';
import { MODEL_IDS } from '../models/index.js';
import { transportCells, transportColumns, transportNotes } from './transportColumns.js';

/**
 * The HTML report: one self-contained file (the charting library and the data inlined, a
 * Content-Security-Policy that forbids fetching anything) that opens offline. Pure: the caller
 * passes the library's source and writes the string.
 */

/** One colour per model id, the same in every chart and every report. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function colourOf(model: string, index: number): string {
  const i = (MODEL_IDS as readonly string[]).indexOf(model);
  return PALETTE[(i >= 0 ? i : MODEL_IDS.length + index) % PALETTE.length]!;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Inline script text must not close its own element. */
const scriptSafe = (s: string) => s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

/** A bar's height; null (not measured) is drawn as no bar. */
type Bar = number | null;

export interface ReportData {
  series: { label: string; colour: string; points: CurvePoint[] }[];
  bars: {
    labels: string[];
    colours: string[];
    memory: { rss: Bar[]; heap: Bar[]; kernel: Bar[] };
    cpu: { server: Bar[]; client: Bar[] };
    bytes: { sent: Bar[]; received: Bar[] };
  };
}

const kib = (bytes: number | null): Bar => (bytes === null ? null : bytes / 1024);

/** What the charts draw, from the result; exported for tests. */
export function reportData(result: RunResult): ReportData {
  const rows = result.models.filter((r) => r.status !== 'failed');
  const labels = rows.map(rowLabel);
  const colours = rows.map((r, i) => colourOf(r.model, i));
  return {
    series: rows.map((r, i) => ({ label: labels[i]!, colour: colours[i]!, points: percentileCurve(r.histogram) })),
    bars: {
      labels,
      colours,
      memory: {
        rss: rows.map((r) => kib(r.server.rssPerConnectionBytes)),
        heap: rows.map((r) => kib(r.server.heapPerConnectionBytes)),
        kernel: rows.map((r) => kib(r.server.kernelPerConnectionBytes)),
      },
      cpu: { server: rows.map((r) => r.server.cpuUsPerMessage), client: rows.map((r) => r.client.cpuUsPerMessage) },
      bytes: { sent: rows.map((r) => r.wire.serverBytesPerMessage), received: rows.map((r) => r.wire.serverReceivedBytesPerMessage) },
    },
  };
}

/** Runs in the page: builds the four charts from the inlined data with the inlined Chart.js. */
const PAGE_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('connbench-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
  function pct(x) {
    var p = 100 * (1 - 1 / x);
    var digits = Math.max(0, Math.ceil(Math.log10(x)) - 2);
    return p.toFixed(digits) + '%';
  }
  var maxX = 10;
  data.series.forEach(function (s) { s.points.forEach(function (p) { if (p.x > maxX) maxX = p.x; }); });
  maxX = Math.pow(10, Math.ceil(Math.log10(maxX)));
  new Chart(document.getElementById('chart-latency'), {
    type: 'line',
    data: { datasets: data.series.map(function (s) {
      return { label: s.label, data: s.points, borderColor: s.colour, backgroundColor: s.colour, borderWidth: 2, pointRadius: 0, pointHitRadius: 6, tension: 0 };
    }) },
    options: {
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: {
          type: 'logarithmic', min: 1, max: maxX,
          title: { display: true, text: 'percentile (log scale of 1/(1-p))' },
          afterBuildTicks: function (axis) {
            var ticks = [];
            for (var v = 1; v <= maxX; v *= 10) ticks.push({ value: v });
            axis.ticks = ticks;
          },
          ticks: { callback: function (v) { return pct(v); } }
        },
        y: { type: 'linear', beginAtZero: true, title: { display: true, text: 'latency (ms)' } }
      },
      plugins: {
        tooltip: { callbacks: {
          title: function (items) { return items.length ? 'p' + pct(items[0].parsed.x) : ''; },
          label: function (item) { return item.dataset.label + ': ' + item.parsed.y.toFixed(3) + ' ms'; }
        } }
      }
    }
  });
  function bars(id, unit, sets) {
    new Chart(document.getElementById(id), {
      type: 'bar',
      data: { labels: data.bars.labels, datasets: sets.filter(function (s) { return s.data.some(function (v) { return v !== null; }); }).map(function (s, i) {
        return { label: s.label, data: s.data, backgroundColor: i === 0 ? data.bars.colours : data.bars.colours.map(function (c) { return c + '88'; }), borderColor: data.bars.colours, borderWidth: 1 };
      }) },
      options: {
        scales: { y: { beginAtZero: true, title: { display: true, text: unit } } },
        plugins: { tooltip: { callbacks: { label: function (item) { return item.dataset.label + ': ' + Number(item.parsed.y).toFixed(2) + ' ' + unit; } } } }
      }
    });
  }
  bars('chart-memory', 'KiB per connection', [
    { label: 'server RSS', data: data.bars.memory.rss },
    { label: 'server V8 heap', data: data.bars.memory.heap },
    { label: 'kernel socket memory', data: data.bars.memory.kernel }
  ]);
  bars('chart-cpu', 'µs CPU per message', [
    { label: 'server', data: data.bars.cpu.server },
    { label: 'client workers', data: data.bars.cpu.client }
  ]);
  bars('chart-bytes', 'bytes per message', [
    { label: 'server sent', data: data.bars.bytes.sent },
    { label: 'server received', data: data.bars.bytes.received }
  ]);
})();
`;

const STYLE = `
  :root { color-scheme: light; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1280px; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
  .sub { color: #666; margin-top: 0; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { padding: .25rem .6rem; border-bottom: 1px solid #e4e4e4; text-align: right; white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; }
  .chart { position: relative; height: 420px; } .chart.small { height: 300px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1.5rem; }
  .fail { color: #b00020; } .pass { color: #1b7d2b; } .note { color: #666; font-size: .9em; }
  pre { background: #f6f6f6; padding: .8rem; overflow: auto; }
  .wide { overflow-x: auto; }
  .range { display: block; color: #777; font-size: .8em; }
  .swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .4em; vertical-align: -0.05em; }
`;

/** A summary cell; its range over repeats, if any, under it in small type. */
function htmlCell(c: SummaryCell): string {
  const v = c.alert ? `<span class="fail">${esc(c.value)}</span>` : esc(c.value);
  return c.range ? `${v}<span class="range">${esc(c.range)}</span>` : v;
}

function summaryTable(result: RunResult): string {
  const body = result.models.map((r, i) => {
    const cells = [
      `<span class="swatch" style="background:${colourOf(r.model, i)}"></span>${esc(rowLabel(r))}`,
      ...summaryCells(r).map(htmlCell),
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<div class="wide"><table><thead><tr>${['model', ...SUMMARY_HEAD].map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`;
}

/** TLS, connections opened and the proxy's cost, when some row has them. */
function transportTable(result: RunResult): string {
  const columns = transportColumns(result.models);
  if (columns.length === 0) return '';
  const body = result.models.map(
    (r) => `<tr>${[esc(rowLabel(r)), ...transportCells(r, columns).map(esc)].map((c) => `<td>${c}</td>`).join('')}</tr>`,
  );
  const notes = transportNotes(result.models, columns).map((n) => `<p class="note">${esc(n.trim())}</p>`);
  return `<h2>Connections</h2><div class="wide"><table><thead><tr>${['model', ...columns.map((c) => c.head)].map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>${notes.join('')}`;
}

function thresholdList(result: RunResult): string {
  if (!result.thresholds?.length) return '';
  const item = (t: ThresholdOutcome) =>
    `<li class="${t.passed ? 'pass' : 'fail'}">${t.passed ? '✔' : '✘'} <code>${esc(t.target)}: ${esc(t.condition)}</code>: ${esc(t.message)}</li>`;
  const failed = result.thresholds.filter((t) => !t.passed);
  const passed = result.thresholds.filter((t) => t.passed);
  // Failures in full; passes folded away, since they are usually most of the list.
  return [
    `<h2>Thresholds: ${passed.length} passed, ${failed.length} failed</h2>`,
    failed.length ? `<ul>${failed.map(item).join('')}</ul>` : '',
    passed.length ? `<details><summary>${passed.length} passed</summary><ul>${passed.map(item).join('')}</ul></details>` : '',
  ].join('');
}

export function renderHtml(result: RunResult, chartLibrary: ChartLibrary): string {
  const s = result.scenario;
  const e = result.env;
  const notes = [
    ...result.models.filter((r) => r.status !== 'ok' && r.statusReason).map((r) => `${rowLabel(r)}: ${r.statusReason}`),
    repeatNote(result.models),
    uncertainNote(result.models, SUMMARY_BOUNDED),
    ...outcomeNotes(result.models).map((n) => n.trim()),
    ...unmeasuredNotes(result.models, SUMMARY_PATHS).map((n) => n.trim()),
    ...spinNotes(result.models),
  ].filter((n): n is string => Boolean(n));
  const envRows: [string, string][] = [
    ['connbench', result.tool.version],
    ['Node', e.node],
    ['platform', `${e.platform}/${e.arch}`],
    ['CPUs', String(e.cpus)],
    ['memory', formatBytes(e.memoryBytes)],
    ['started', result.startedAt],
    ['finished', result.finishedAt ?? '(interrupted)'],
    ['charts', `${chartLibrary.name} ${chartLibrary.version} (MIT), inlined`],
  ];
  const dataJson = JSON.stringify(reportData(result)).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>connbench: ${esc(s.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>connbench: ${esc(s.name)}${result.complete ? '' : ' <span class="fail">(incomplete: interrupted)</span>'}</h1>
<p class="sub">${esc(s.description)}</p>
<p>${esc(scenarioLine(result))}</p>
${summaryTable(result)}
${transportTable(result)}
${notes.map((n) => `<p class="note">${esc(n)}</p>`).join('\n')}
${thresholdList(result)}
<h2>Latency by percentile</h2>
<p class="note">HdrHistogram-style: the x axis spreads the tail (90%, 99%, 99.9%, …) evenly; latency is receive time minus the message's scheduled send time.</p>
<div class="chart"><canvas id="chart-latency" role="img" aria-label="latency by percentile, one line per model"></canvas></div>
<div class="grid">
<section><h2>Memory per connection</h2><div class="chart small"><canvas id="chart-memory" role="img" aria-label="memory per connection"></canvas></div></section>
<section><h2>CPU per message</h2><div class="chart small"><canvas id="chart-cpu" role="img" aria-label="CPU per message"></canvas></div></section>
<section><h2>Bytes per message</h2><div class="chart small"><canvas id="chart-bytes" role="img" aria-label="bytes per message"></canvas></div></section>
</div>
<h2>Scenario</h2>
<pre>${esc(JSON.stringify(s, null, 2))}</pre>
<h2>Environment</h2>
<table><tbody>${envRows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</tbody></table>
<script>${scriptSafe(chartLibrary.source)}</script>
<script type="application/json" id="connbench-data">${dataJson}</script>
<script>${scriptSafe(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}
