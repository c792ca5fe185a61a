import { beforeAll, describe, expect, it } from 'vitest';
import { LatencyRecorder, encodeHistogram, initHistograms } from '../../src/metrics/histogram.js';
import type { ModelResult } from '../../src/report/result.js';
import { renderRunTable } from '../../src/report/table.js';
import { renderRunMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { combineRepeats } from '../../src/report/repeats.js';
import { resolveMetric, metricValue } from '../../src/report/metricPaths.js';
import { syntheticResult, syntheticRow } from './fixtures.js';
import { transportFigures, type RawTransport } from '../../src/runner/transportRow.js';
import { whyNotMeasured } from '../../src/report/unmeasured.js';

beforeAll(async () => {
  await initHistograms();
});

/** A row over TLS through nginx with keep-alive off: every transport figure set. */
function transportRow(matrix: Record<string, string>): ModelResult {
  const row = syntheticRow({ model: 'short-poll', latencyBaseUs: 2000 });
  row.matrix = matrix;
  row.connectMs = { ...row.connectMs, tcp: { p50: 0.25, p99: 1, max: 2 }, tls: { p50: 1.5, p99: 3, max: 4 } };
  row.tls = {
    enabled: true,
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    handshakes: 400,
    resumedFraction: 0.75,
    fullHandshakeMs: { p50: 2, p99: 3, max: 4 },
    resumedHandshakeMs: { p50: 0.5, p99: 1, max: 1.5 },
    serverErrors: { ERR_SSL_HTTP_REQUEST: 2 },
  };
  row.connections = { opened: 1200, openedPerSec: 98.5, timeWaitServer: 1100, timeWaitClient: 3 };
  row.proxy = {
    kind: 'nginx',
    version: 'nginx/1.22.1',
    rssPerConnectionBytes: 20_480,
    cpuUsPerMessage: 12.5,
    cpuPercent: 4,
    peakRssBytes: 9e6,
  };
  return row;
}

describe('the transport columns of the reports', () => {
  it('appear with --wide, in markdown and in HTML only where a row has TLS, new connections or a proxy', () => {
    const plain = syntheticResult([syntheticRow({ model: 'tcp', latencyBaseUs: 1000 })]);
    expect(renderRunTable(plain, { wide: true })).not.toMatch(/tls ms|conn\/s|px KiB/);
    expect(renderRunMarkdown(plain)).not.toContain('**Connections**');
    const mixed = syntheticResult([syntheticRow({ model: 'tcp', latencyBaseUs: 1000 }), transportRow({ 'tls.enabled': 'on' })]);
    const table = renderRunTable(mixed, { wide: true });
    for (const head of ['tcp ms', 'tls ms', 'resumed %', 'conn/s', 'TIME_WAIT srv', 'TIME_WAIT cli', 'proxy', 'px KiB/conn', 'px µs/msg'])
      expect(table).toContain(head);
    const tlsLine = table.split('\n').find((l) => l.includes('short-poll'))!;
    expect(tlsLine).toMatch(/0\.250 .* 1\.50 .* 75 .* 98\.5 .* 1,100 .* 3 .* nginx .* 20\.0 .* 12\.5/);
    // The default table stays as narrow as before.
    expect(renderRunTable(mixed)).not.toContain('tls ms');
    const md = renderRunMarkdown(mixed);
    expect(md).toContain('**Connections**');
    expect(md).toMatch(/\| \*\*short-poll\[tls\.enabled=on\]\*\* \| 0\.250 \| 1\.50 \| 75 \|/);
    const html = renderHtml(mixed, { name: 'Chart.js', version: '0', source: '' });
    expect(html).toContain('<h2>Connections</h2>');
    expect(html).toContain('<td>nginx</td>');
  });

  it('names the new figures as metrics, for thresholds and compare', () => {
    const row = transportRow({});
    expect(metricValue(row, resolveMetric('tls.resumedFraction', 't').path)).toBe(0.75);
    expect(metricValue(row, resolveMetric('connectMs.tls.p50', 't').path)).toBe(1.5);
    expect(metricValue(row, resolveMetric('connections.openedPerSec', 't').path)).toBe(98.5);
    expect(resolveMetric('proxy.rssPerConnection', 't').path).toBe('proxy.rssPerConnectionBytes');
    expect(metricValue(syntheticRow({ model: 'tcp', latencyBaseUs: 1 }), 'proxy.cpuUsPerMessage')).toBe(null);
  });

  it('over repeats: medians, and the server’s TLS errors summed like the other counts', () => {
    const combined = combineRepeats([transportRow({}), transportRow({})]);
    expect(combined.tls.serverErrors).toEqual({ ERR_SSL_HTTP_REQUEST: 4 });
    expect(combined.tls.resumedFraction).toBe(0.75);
    expect(combined.proxy.kind).toBe('nginx');
    expect(combined.connections.timeWaitServer).toBe(1100);
  });
});

describe('transport figures without samples', () => {
  const encoded = (values: number[]) => {
    const r = new LatencyRecorder();
    for (const v of values) r.recordValue(v);
    const text = encodeHistogram(r);
    r.histogram.destroy();
    return text;
  };
  const raw = (tcpUs: number[], tls: boolean): RawTransport => ({
    tlsEnabled: tls,
    reports: [
      {
        opened: tcpUs.length,
        tcpHistogram: encoded(tcpUs),
        tlsFullHistogram: encoded(tls ? tcpUs : []),
        tlsResumedHistogram: encoded([]),
        handshakes: tls ? tcpUs.length : 0,
        resumed: 0,
      },
    ],
    openedAtStart: 0,
    openedAtEnd: tcpUs.length,
    timeWait: undefined,
    serverCounters: {},
    proxy: { kind: 'none', version: null, peakRssBytes: 0 },
  });

  it('are null as every other figure is: a p99 of fewer than 100 connections, a p50 of one, TLS without TLS, a rate without a window', () => {
    const few = transportFigures(raw([300, 400, 500], true), { connected: 3, deliveries: 10, windowMs: 1000 });
    expect(few.tcp).toEqual({ p50: 0.4, p99: null, max: 0.5 });
    expect(few.tls.fullHandshakeMs).toEqual({ p50: 0.4, p99: null, max: 0.5 });
    expect(few.tls.resumedHandshakeMs).toEqual({ p50: null, p99: null, max: null });
    const one = transportFigures(raw([300], false), { connected: 1, deliveries: 0, windowMs: 0 });
    expect(one.tcp).toEqual({ p50: null, p99: null, max: 0.3 });
    expect(one.tlsTimes).toEqual({ p50: null, p99: null, max: null });
    expect(one.tls.resumedFraction).toBe(null);
    expect(one.connections).toMatchObject({ opened: 1, openedPerSec: null, timeWaitServer: null });
  });

  it('print as n/a, with why under the table: once for rows without TLS or a proxy, row by row for the rest', () => {
    const plain = transportRow({ 'tls.enabled': 'off' });
    plain.tls = { ...plain.tls, enabled: false, handshakes: 0, resumedFraction: null };
    plain.connectMs = { ...plain.connectMs, tls: { p50: null, p99: null, max: null } };
    plain.proxy = { kind: 'none', version: null, rssPerConnectionBytes: null, cpuUsPerMessage: null, cpuPercent: null, peakRssBytes: null };
    const oneHandshake = transportRow({ 'tls.enabled': 'on' });
    oneHandshake.tls = { ...oneHandshake.tls, handshakes: 1 };
    oneHandshake.connectMs = { ...oneHandshake.connectMs, tls: { p50: null, p99: null, max: 1.2 } };
    const table = renderRunTable(syntheticResult([plain, oneHandshake]), { wide: true });
    const plainLine = table.split('\n').find((l) => / off .*short-poll/.test(l))!;
    expect(plainLine).toMatch(/0\.250 .* n\/a .* n\/a .* 98\.5 .* none .* n\/a .* n\/a .* n\/a/);
    expect(table).not.toMatch(/│\s+-\s+│/);
    expect(table).toContain('  tls ms, resumed % n/a in rows without TLS');
    expect(table).toContain('  px KiB/conn, px µs/msg, px CPU % n/a in rows without an intermediary connbench ran');
    expect(table).toContain('short-poll[tls.enabled=on]: tls ms n/a (1 handshake; a p50 needs at least 2)');
    const md = renderRunMarkdown(syntheticResult([plain, oneHandshake]));
    expect(md).toContain('n/a in rows without TLS');
    // A threshold or --fail-on on such a figure says why it has none.
    expect(whyNotMeasured(plain, 'connectMs.tls.p50')).toBe('no TLS');
    expect(whyNotMeasured(oneHandshake, 'connectMs.tls.p99')).toBe('1 handshake; a p99 needs at least 100');
    expect(whyNotMeasured(plain, 'proxy.cpuUsPerMessage')).toBe('no intermediary connbench ran');
  });
});
