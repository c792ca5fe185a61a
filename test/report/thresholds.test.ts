import { beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateThresholds,
  parseThreshold,
  parseThresholds,
  renderThresholdReport,
  unmatchedThresholds,
} from '../../src/report/thresholds.js';
import { metricCatalogue, parseQuantity, resolveMetric } from '../../src/report/metricPaths.js';
import { initHistograms, syntheticResult, syntheticRow } from './fixtures.js';

beforeAll(async () => {
  await initHistograms();
});

describe('metric names', () => {
  it('resolve with or without unit suffix, with messages. optional, and p99.9 for p999', () => {
    const path = (n: string) => resolveMetric(n, 'test').path;
    expect(path('latency.p99')).toBe('latencyMs.p99');
    expect(path('latencyMs.p99')).toBe('latencyMs.p99');
    expect(path('latency.p99.9')).toBe('latencyMs.p999');
    expect(path('lost')).toBe('messages.lost');
    expect(path('messages.lost')).toBe('messages.lost');
    expect(path('server.rssPerConnection')).toBe('server.rssPerConnectionBytes');
    expect(path('server.rssPerConnectionBytes')).toBe('server.rssPerConnectionBytes');
    expect(path('server.cpuPerMessage')).toBe('server.cpuUsPerMessage');
    expect(path('wire.serverBytesPerMessage')).toBe('wire.serverBytesPerMessage');
    expect(path('connect.p99')).toBe('connectMs.p99');
    expect(path('deliveriesPerSec')).toBe('deliveriesPerSec');
    expect(path('server.deadPeers')).toBe('server.deadPeers');
  });

  it('know each metric unit from its name', () => {
    const kind = (p: string) => metricCatalogue().find((m) => m.path === p)!.kind;
    expect(kind('latencyMs.p99')).toBe('ms');
    expect(kind('latencyMs.count')).toBe('count');
    expect(kind('server.cpuUsPerMessage')).toBe('us');
    expect(kind('server.kernelPerConnectionBytes')).toBe('bytes');
    expect(kind('server.cpuPercent')).toBe('percent');
    expect(kind('client.eventLoopDelayP99Ms')).toBe('ms');
    expect(kind('deliveriesPerSec')).toBe('rate');
    expect(kind('messages.lost')).toBe('count');
    expect(kind('server.deadPeers')).toBe('count');
  });

  it('read values in the metric own unit', () => {
    expect(parseQuantity('20ms', 'ms')).toBe(20);
    expect(parseQuantity('1s', 'ms')).toBe(1000);
    expect(parseQuantity('50us', 'us')).toBe(50);
    expect(parseQuantity('0.1ms', 'us')).toBe(100);
    expect(parseQuantity('16KiB', 'bytes')).toBe(16_384);
    expect(parseQuantity('50%', 'percent')).toBe(50);
    expect(parseQuantity('0', 'count')).toBe(0);
    expect(parseQuantity('20ms', 'bytes')).toBeUndefined();
    expect(parseQuantity('16KiB', 'ms')).toBeUndefined();
  });

  it('suggest the likely metric for a typo', () => {
    expect(() => resolveMetric('latncy.p99', 'threshold "x"')).toThrow(/did you mean "latencyMs.p99"/);
  });
});

describe('thresholds', () => {
  const result = () =>
    syntheticResult([
      syntheticRow({ model: 'sse', latencyBaseUs: 2000, rssPerConnectionBytes: 20 * 1024 }),
      syntheticRow({ model: 'websocket', latencyBaseUs: 1000, lost: 2 }),
      syntheticRow({ model: 'tcp', latencyBaseUs: 500, status: 'failed', statusReason: 'no client could connect' }),
    ]);

  it('parse the forms of docs/contract.md, Thresholds', () => {
    expect(parseThreshold('websocket.latency.p99', '< 20ms')).toMatchObject({
      op: '<',
      limit: 20,
      parsed: { model: 'websocket', metric: { path: 'latencyMs.p99' } },
    });
    expect(parseThreshold('*.lost', '== 0')).toMatchObject({
      op: '==',
      limit: 0,
      parsed: { model: '*', metric: { path: 'messages.lost' } },
    });
    expect(parseThreshold('sse.server.rssPerConnection', '< 16KiB')).toMatchObject({ limit: 16_384, parsed: { model: 'sse' } });
    expect(parseThreshold('lost', '<= 0')).toMatchObject({ op: '<=', parsed: { model: '*' } });
    expect(parseThreshold('tcp.server.cpuUsPerMessage', '>= 1us')).toMatchObject({ op: '>=', limit: 1 });
  });

  it('report every bad threshold at once, each with the fix', () => {
    let message = '';
    try {
      parseThresholds({ 'websocket.latency.p99': '< 20KiB', 'sse.latncy.p99': '< 1ms', '*.lost': 'zero', 'tcp.lost': '== 0' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('3 bad thresholds');
    expect(message).toContain('"20KiB" is not a duration (latencyMs.p99 is measured in milliseconds)');
    expect(message).toContain('did you mean "latencyMs.p99"');
    expect(message).toContain('"zero" does not start with <');
  });

  it('evaluate every form passing and failing, saying by how much', () => {
    const ts = parseThresholds({
      'websocket.latency.p99': '< 20ms', // passes
      'sse.latency.p99': '< 5ms', // fails: sse p99 is 10 ms
      '*.lost': '== 0', // fails for websocket (2 lost) and for tcp (failed)
      'sse.server.rssPerConnection': '< 16KiB', // fails: 20 KiB
      'websocket.server.rssPerConnectionBytes': '<= 16KiB', // passes
      'websocket.deliveriesPerSec': '> 1000/s', // fails: 100/s
    });
    const outcomes = evaluateThresholds(ts, result());
    const verdict = (target: string, model: string) => outcomes.find((o) => o.target === target && o.model === model)!;
    expect(verdict('websocket.latency.p99', 'websocket').passed).toBe(true);
    // p99 of the synthetic shape at 2 ms base: 9.935 ms, read from the row
    expect(verdict('sse.latency.p99', 'sse')).toMatchObject({ passed: false, actual: 9.935, limit: 5 });
    expect(verdict('sse.latency.p99', 'sse').message).toBe('sse.latencyMs.p99 = 9.94 ms, must be < 5.00 ms: 4.94 ms over (98.7%)');
    expect(verdict('*.lost', 'sse').passed).toBe(true);
    expect(verdict('*.lost', 'websocket').message).toBe('websocket.messages.lost = 2, must be == 0: 2 off');
    expect(verdict('*.lost', 'tcp').message).toContain('tcp failed (no client could connect)');
    expect(verdict('*.lost', 'tcp').passed).toBe(false);
    expect(verdict('sse.server.rssPerConnection', 'sse').message).toContain('20.0 KiB, must be < 16.0 KiB: 4.0 KiB over (25.0%)');
    expect(verdict('websocket.server.rssPerConnectionBytes', 'websocket').passed).toBe(true);
    expect(verdict('websocket.deliveriesPerSec', 'websocket').message).toContain('900/s under (90.0%)');
    expect(outcomes.filter((o) => !o.passed)).toHaveLength(5);
    const text = renderThresholdReport(outcomes);
    expect(text.split('\n')[0]).toBe('thresholds: 3 passed, 5 failed');
    expect(text).toContain('  FAIL sse.latency.p99 < 5ms: sse.latencyMs.p99 = 9.94 ms');
  });

  it('say aloud when a threshold names a model that did not run', () => {
    const ts = parseThresholds({ 'long-poll.lost': '== 0' });
    expect(evaluateThresholds(ts, result())).toEqual([]);
    expect(renderThresholdReport([], unmatchedThresholds(ts, result()))).toContain('no model "long-poll" in this run');
  });
});
