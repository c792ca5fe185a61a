import { beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli } from '../helpers/cli.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initHistograms, syntheticResult, syntheticRow } from '../report/fixtures.js';

let dir: string;
let file: string;

/**
 * The result every form is checked against: sse p99 9.94 ms, websocket p99 4.97 ms and 1 lost,
 * tcp p99 3.97 ms; sse 20 KiB per connection, the others 10 KiB; 20 µs CPU and 200 B per message;
 * 100 deliveries/s; 12 % server CPU.
 */
const PASSING: Record<string, string> = {
  'websocket.latency.p99': '< 20ms', // model, unit suffix dropped, duration
  'websocket.latencyMs.p99': '<= 5ms', // unit suffix kept
  'sse.latency.p99.9': '> 1ms', // p99.9 spelling
  'tcp.lost': '== 0', // messages. dropped
  'sse.messages.lost': '<= 0', // messages. kept
  'sse.server.rssPerConnection': '< 32KiB', // size
  'tcp.server.cpuUsPerMessage': '< 50us', // microseconds
  '*.deliveriesPerSec': '>= 10/s', // every model, rate
  'server.cpuPercent': '!= 50%', // no model part, percent
  'websocket.connect.p99': '< 1s', // another duration unit
};

const FAILING: [string, string][] = [
  ['websocket.latency.p99 < 2ms', 'websocket.latencyMs.p99 = 4.97 ms, must be < 2.00 ms: 2.97 ms over (148.3%)'],
  ['*.lost == 0', 'websocket.messages.lost = 1, must be == 0: 1 off'],
  ['sse.server.rssPerConnection < 16KiB', 'sse.server.rssPerConnectionBytes = 20.0 KiB, must be < 16.0 KiB: 4.0 KiB over (25.0%)'],
  ['tcp.server.cpuUsPerMessage<=10us', 'tcp.server.cpuUsPerMessage = 20.0 µs, must be <= 10.0 µs: 10.0 µs over (100.0%)'],
  ['sse.deliveriesPerSec >= 1000/s', 'sse.deliveriesPerSec = 100/s, must be >= 1,000/s: 900/s under (90.0%)'],
  ['server.cpuPercent != 12%', 'sse.server.cpuPercent = 12.0 %, must be != 12.0 %: equal to the value it must differ from'],
  ['sse.latency.p99.9 > 1s', 'sse.latencyMs.p999 = 34.0 ms, must be > 1000 ms: 966 ms under (96.6%)'],
];

beforeAll(async () => {
  await initHistograms();
  dir = mkdtempSync(path.join(tmpdir(), 'connbench-report-'));
  file = path.join(dir, 'r.json');
  const result = syntheticResult(
    [
      syntheticRow({ model: 'sse', latencyBaseUs: 2000, rssPerConnectionBytes: 20 * 1024 }),
      syntheticRow({ model: 'websocket', latencyBaseUs: 1000, lost: 1 }),
      syntheticRow({ model: 'tcp', latencyBaseUs: 800 }),
    ],
    { scenario: { thresholds: PASSING } },
  );
  writeFileSync(file, JSON.stringify(result));
});

describe('connbench report --check: each threshold form', () => {
  it('passes every form the scenario holds, exit 0', () => {
    const r = cli(['report', file, '--check']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('thresholds: 14 passed, 0 failed');
    expect(r.stdout).toContain('ok   websocket.latency.p99 < 20ms: websocket.latencyMs.p99 = 4.97 ms (< 20.0 ms)');
  });

  it.each(FAILING)('fails "%s" with exit 1 and by how much', (rule, message) => {
    const r = cli(['report', file, '--threshold', rule]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`FAIL ${rule.replace(/\s*(<=|>=|==|!=|<|>)\s*/, ' $1 ')}: ${message}`);
    expect(r.stderr).toContain('CB_ERR_THRESHOLD_FAILED');
  });

  it('a threshold it cannot read is bad input, exit 2, with every problem named', () => {
    const r = cli(['report', file, '--threshold', 'websocket.latency.p99 < 20KiB', '--threshold', 'sse.latncy.p99 < 1ms']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('2 bad thresholds');
    expect(r.stderr).toContain('"20KiB" is not a duration');
    expect(r.stderr).toContain('did you mean "latencyMs.p99"');
  });
});

describe('connbench report renderers', () => {
  it('prints the table by default, markdown with --markdown, and writes HTML with --html', () => {
    const table = cli(['report', file]);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/model.*conn.*delivered.*lost/);
    const md = cli(['report', file, '--markdown']);
    expect(md.status).toBe(0);
    expect(md.stdout).toMatch(/^### connbench: synthetic\n/);
    expect(md.stdout).toContain('| model | status | connected |');
    const html = path.join(dir, 'out', 'r.html');
    const h = cli(['report', file, '--html', html]);
    expect(h.status).toBe(0);
    expect(h.stderr).toBe(`html: ${html}\n`);
    const text = readFileSync(html, 'utf8');
    expect(text.startsWith('<!doctype html>')).toBe(true);
    expect(text).toContain('Chart.js v4');
    expect(text).not.toMatch(/<(script|link|img)[^>]+(src|href)=/); // nothing loaded from elsewhere
  });

  it('a missing or foreign result file is bad input naming the file', () => {
    const r = cli(['report', path.join(dir, 'missing.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('missing.json does not exist');
    const foreign = path.join(dir, 'foreign.json');
    writeFileSync(foreign, JSON.stringify({ schemaVersion: 8 }));
    const f = cli(['report', foreign, '--markdown']);
    expect(f.status).toBe(2);
    expect(f.stderr).toContain('foreign.json has schemaVersion 8');
  });
});
