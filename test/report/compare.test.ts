import { beforeAll, describe, expect, it } from 'vitest';
import { compareResults, parseFailOn, scenarioDifferences, type Comparison } from '../../src/report/compare.js';
import { initHistograms, repeatedRow, syntheticResult, syntheticRow } from './fixtures.js';

const files = { base: 'base.json', head: 'head.json' };
const cell = (cmp: Comparison, model: string, metric: string) =>
  cmp.rows.find((r) => r.model === model)!.cells.find((c) => c.metric === metric)!;

beforeAll(async () => {
  await initHistograms();
});

describe('compare on single runs', () => {
  const base = () =>
    syntheticResult([
      syntheticRow({ model: 'sse', latencyBaseUs: 1000 }),
      syntheticRow({ model: 'websocket', latencyBaseUs: 1000 }),
      syntheticRow({ model: 'tcp', latencyBaseUs: 1000, lost: 0 }),
    ]);
  const head = () =>
    syntheticResult([
      // improved: 30% faster, 25% less memory
      syntheticRow({ model: 'sse', latencyBaseUs: 1000, latencyScale: 0.7, rssPerConnectionBytes: 7680 }),
      // regressed: 40% slower, twice the CPU per message, more bytes
      syntheticRow({ model: 'websocket', latencyBaseUs: 1000, latencyScale: 1.4, cpuUsPerMessage: 40, bytesPerMessage: 260 }),
      // within noise: 2% slower, 3% more memory; but one lost message is never noise
      syntheticRow({ model: 'tcp', latencyBaseUs: 1000, latencyScale: 1.02, rssPerConnectionBytes: 10_547, lost: 1 }),
    ]);

  it('marks improvements, regressions and changes within noise per model and metric', () => {
    const cmp = compareResults(base(), head(), { files });
    expect(cmp.rows.map((r) => r.model)).toEqual(['sse', 'websocket', 'tcp']);
    expect(cell(cmp, 'sse', 'latencyMs.p99').verdict).toBe('improved');
    expect(cell(cmp, 'sse', 'server.rssPerConnectionBytes').verdict).toBe('improved');
    expect(cell(cmp, 'sse', 'server.rssPerConnectionBytes').changePercent).toBeCloseTo(-25, 5);
    expect(cell(cmp, 'websocket', 'latencyMs.p50').verdict).toBe('regressed');
    expect(cell(cmp, 'websocket', 'latencyMs.p99').changePercent!).toBeGreaterThan(35);
    expect(cell(cmp, 'websocket', 'server.cpuUsPerMessage').verdict).toBe('regressed');
    expect(cell(cmp, 'websocket', 'wire.serverBytesPerMessage').change).toBe(60);
    expect(cell(cmp, 'tcp', 'latencyMs.p99').verdict).toBe('unchanged');
    expect(cell(cmp, 'tcp', 'latencyMs.p99').band).toEqual({ kind: 'noise', percent: 5 });
    expect(cell(cmp, 'tcp', 'server.rssPerConnectionBytes').verdict).toBe('unchanged');
    expect(cell(cmp, 'tcp', 'messages.lost').verdict).toBe('regressed');
    expect(cmp.summary.regressed).toBeGreaterThanOrEqual(7);
    expect(cmp.notes.join(' ')).toContain('±5%');
    expect(cmp.warnings).toEqual([]);
  });

  it('a narrower --noise turns a small change into a regression', () => {
    const cmp = compareResults(base(), head(), { files, noisePercent: 1 });
    expect(cell(cmp, 'tcp', 'latencyMs.p99').verdict).toBe('regressed');
  });

  it('recomputes latency percentiles from the stored histogram, not the stored summary', () => {
    const b = base();
    const h = base();
    h.models[0]!.latencyMs.p99 = 9999; // a summary that disagrees with the histogram
    const cmp = compareResults(b, h, { files });
    expect(cell(cmp, 'sse', 'latencyMs.p99').head).toBe(b.models[0]!.latencyMs.p99);
    expect(cell(cmp, 'sse', 'latencyMs.p99').verdict).toBe('unchanged');
  });

  it('lists models found on one side only, and a failed model as not measured', () => {
    const h = head();
    h.models = [
      syntheticRow({ model: 'sse', latencyBaseUs: 1000, status: 'failed', statusReason: 'no client could connect' }),
      syntheticRow({ model: 'long-poll', latencyBaseUs: 1000 }),
    ];
    const cmp = compareResults(base(), h, { files });
    expect(cmp.onlyInBase).toEqual(['websocket', 'tcp']);
    expect(cmp.onlyInHead).toEqual(['long-poll']);
    expect(cell(cmp, 'sse', 'latencyMs.p99').verdict).toBe('n/a');
  });

  it('--fail-on: a relative change, an absolute change and a head value, each failing with by how much', () => {
    const failOn = [
      'latency.p99 > +10%',
      'websocket.wire.serverBytesPerMessage > +50B',
      'server.cpuUsPerMessage > 30us',
      'sse.latency.p99 > +10%',
    ].map(parseFailOn);
    const cmp = compareResults(base(), head(), { files, failOn });
    const failed = cmp.failOn.filter((o) => o.failed);
    expect(failed.map((o) => `${o.rule} @ ${o.model}`)).toEqual([
      'latency.p99 > +10% @ websocket',
      'websocket.wire.serverBytesPerMessage > +50B @ websocket',
      'server.cpuUsPerMessage > 30us @ websocket',
    ]);
    expect(failed[0]!.message).toMatch(
      /websocket latencyMs\.p99: .* → .* \(\+.*, \+\d+\.\d%\) fails "latency\.p99 > \+10%", \d+\.\d points past the limit/,
    );
    expect(failed[1]!.message).toContain('10 B past the limit');
    expect(failed[2]!.message).toContain('10.0 µs past the limit');
    // sse improved: the same rule passes there
    expect(cmp.failOn.find((o) => o.rule === 'sse.latency.p99 > +10%')!.failed).toBe(false);
  });

  it('rejects --fail-on rules it cannot read, naming the fix', () => {
    expect(() => parseFailOn('latency.p99 +10%')).toThrow(/not "<metric> <op> <value>"/);
    expect(() => parseFailOn('latency.p99 > +10KiB')).toThrow(/neither a signed change/);
    expect(() => parseFailOn('latncy.p99 > +10%')).toThrow(/did you mean "latencyMs.p99"/);
    expect(parseFailOn('lost > 0')).toMatchObject({ mode: 'value', limit: 0, target: { model: '*', metric: { path: 'messages.lost' } } });
    expect(parseFailOn('tcp.server.rssPerConnection > -1KiB')).toMatchObject({ mode: 'absolute', limit: -1024, target: { model: 'tcp' } });
  });
});

describe('compare with repeats', () => {
  const spreadOut = (scale: number) => [0.9, 1.0, 1.1].map((f) => f * scale);
  const base = () => syntheticResult([repeatedRow({ model: 'websocket', latencyBaseUs: 1000 }, spreadOut(1))], { repeat: 3 });

  it('flags a change only when it is larger than the base spread, and says so', () => {
    // +8%: beyond a 5% noise band, but within the base's own ±10% spread
    const within = compareResults(
      base(),
      syntheticResult([repeatedRow({ model: 'websocket', latencyBaseUs: 1000 }, spreadOut(1.08))], { repeat: 3 }),
      { files },
    );
    const c = cell(within, 'websocket', 'latencyMs.p99');
    expect(c.band.kind).toBe('spread');
    expect(c.changePercent!).toBeGreaterThan(6);
    expect(c.verdict).toBe('unchanged');
    expect(within.notes[0]).toContain("larger than the base's own spread");
    // +30%: beyond the spread
    const beyond = compareResults(
      base(),
      syntheticResult([repeatedRow({ model: 'websocket', latencyBaseUs: 1000 }, spreadOut(1.3))], { repeat: 3 }),
      { files },
    );
    expect(cell(beyond, 'websocket', 'latencyMs.p99').verdict).toBe('regressed');
    expect(cell(beyond, 'websocket', 'server.rssPerConnectionBytes').verdict).toBe('regressed');
  });

  it('merges the repeats histograms for the percentiles and takes the spread from each repeat', () => {
    const b = base();
    const cmp = compareResults(b, b, { files });
    const c = cell(cmp, 'websocket', 'latencyMs.p50');
    const perRepeat = b.models[0]!.repeats!.map((r) => r.latencyMs.p50!);
    expect(c.band).toMatchObject({ kind: 'spread', spread: { min: Math.min(...perRepeat), max: Math.max(...perRepeat), n: 3 } });
    expect(c.base).toBe(b.models[0]!.latencyMs.p50);
    expect(c.base! > Math.min(...perRepeat) && c.base! < Math.max(...perRepeat)).toBe(true);
  });

  it('a --fail-on rule that matches within the base spread is not counted, and says why', () => {
    const head = syntheticResult([repeatedRow({ model: 'websocket', latencyBaseUs: 1000 }, spreadOut(1.08))], { repeat: 3 });
    const cmp = compareResults(base(), head, { files, failOn: [parseFailOn('latency.p99 > +5%')] });
    expect(cmp.failOn[0]).toMatchObject({ failed: false, withinSpread: true });
    expect(cmp.failOn[0]!.message).toContain("within the base's own spread");
  });
});

describe('compare across different scenarios', () => {
  it('warns naming each setting that differs, and compares anyway', () => {
    const a = syntheticResult([syntheticRow({ model: 'sse', latencyBaseUs: 1000 })]);
    const b = syntheticResult([syntheticRow({ model: 'sse', latencyBaseUs: 1000 })], {
      scenario: { clients: 500, workload: { rate: '20/s' } },
    });
    b.env.cpus = 8;
    const cmp = compareResults(a, b, { files });
    expect(cmp.warnings[0]).toContain('clients: 100 → 500');
    expect(cmp.warnings[0]).toContain('workload.ratePerSec: 10 → 20');
    expect(cmp.warnings[1]).toContain('cpus: 2 → 8');
    expect(cmp.rows).toHaveLength(1);
  });

  it('scenarioDifferences ignores the description and finds nested and list changes', () => {
    expect(
      scenarioDifferences({ description: 'a', models: ['sse'], x: { y: 1 } }, { description: 'b', models: ['sse', 'tcp'], x: { y: 2 } }),
    ).toEqual(['models: ["sse"] → ["sse","tcp"]', 'x.y: 1 → 2']);
  });
});
