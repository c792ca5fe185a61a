import { beforeAll, describe, expect, it } from 'vitest';
import { initHistograms } from '../../src/metrics/histogram.js';
import type { ModelResult } from '../../src/report/result.js';
import { renderRunTable } from '../../src/report/table.js';
import { renderRunMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { combineRepeats } from '../../src/report/repeats.js';
import { resolveMetric, metricValue } from '../../src/report/metricPaths.js';
import { syntheticResult, syntheticRow } from './fixtures.js';

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
