import { createHistogram, encodeHistogram, initHistograms, summarizeMs } from '../../src/metrics/histogram.js';
import { unfinishedModelResult } from '../../src/report/partial.js';
import { combineRepeats } from '../../src/report/repeats.js';
import { SCHEMA_VERSION, type ModelResult, type RunResult } from '../../src/report/result.js';
import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';

/**
 * Synthetic results with real encoded histograms, for tests of compare, thresholds and the
 * renderers. Everything is deterministic: fixed dates, environment and latency shapes.
 */
export interface SyntheticModel {
  model: string;
  /** Latency of the fastest delivery; the shape above it is fixed (a ramp and a tail). */
  latencyBaseUs: number;
  /** Multiplies every latency, to make a run slower or faster than another. */
  latencyScale?: number;
  deliveries?: number;
  lost?: number;
  rssPerConnectionBytes?: number;
  /** Absent: a row without bounds, as schemaVersion 1 wrote them. */
  rssPerConnectionBytesBound?: number;
  cpuUsPerMessage?: number;
  cpuUsPerMessageBound?: number;
  bytesPerMessage?: number;
  status?: ModelResult['status'];
  statusReason?: string;
  matrix?: Record<string, number>;
}

/** 1000 deliveries: 90% spread over base..2×base, 9% up to 5×base, 1% up to 20×base. */
export function latenciesUs(baseUs: number, scale = 1, n = 1000): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const q = i / n;
    const f = q < 0.9 ? 1 + q / 0.9 : q < 0.99 ? 2 + ((q - 0.9) / 0.09) * 3 : 5 + ((q - 0.99) / 0.01) * 15;
    out.push(Math.round(baseUs * f * scale));
  }
  return out;
}

export function syntheticRow(m: SyntheticModel): ModelResult {
  const h = createHistogram();
  for (const v of latenciesUs(m.latencyBaseUs, m.latencyScale ?? 1, m.deliveries ?? 1000)) h.recordValue(v);
  const latencyMs = summarizeMs(h);
  const histogram = encodeHistogram(h);
  h.destroy();
  const row = unfinishedModelResult(m.model, m.matrix ?? {}, 100, { code: 'x', message: 'x' }, true);
  delete row.error;
  delete row.statusReason;
  const delivered = latencyMs.count;
  const lost = m.lost ?? 0;
  const bytes = m.bytesPerMessage ?? 200;
  Object.assign(row, {
    status: m.status ?? 'ok',
    errors: {},
    clients: { target: 100, connected: 100, failed: 0 },
    messages: { published: 10, expected: delivered + lost, delivered, lost, duplicates: 0, reordered: 0 },
    latencyMs,
    histogram,
    connectMs: { ...row.connectMs, p50: 1.5, p99: 4, max: 6 },
    deliveriesPerSec: delivered / 10,
    server: {
      rssPerConnectionBytes: m.rssPerConnectionBytes ?? 10_240,
      heapPerConnectionBytes: 4096,
      kernelPerConnectionBytes: 2048,
      cpuPercent: 12,
      cpuUsPerMessage: m.cpuUsPerMessage ?? 20,
      peakRssBytes: 80 * 1024 * 1024,
      openSockets: 100,
      ...(m.rssPerConnectionBytesBound !== undefined ? { rssPerConnectionBytesBound: m.rssPerConnectionBytesBound } : {}),
      ...(m.cpuUsPerMessageBound !== undefined ? { cpuUsPerMessageBound: m.cpuUsPerMessageBound } : {}),
    },
    client: {
      workers: 1,
      rssPerClientBytes: 8192,
      cpuPercent: 20,
      cpuUsPerMessage: 30,
      eventLoopDelayP99Ms: 3,
      peakRssBytes: 90 * 1024 * 1024,
    },
    wire: {
      serverBytesPerMessage: bytes,
      serverReceivedBytesPerMessage: 20,
      requestsPerMessage: 0,
      heartbeatBytesPerConnectionPerMinute: 8,
    },
    timing: { rampUpMs: 1000, measuredMs: 10_000, drainMs: 50 },
  });
  if (m.statusReason) row.statusReason = m.statusReason;
  return row;
}

export function syntheticScenario(input: ScenarioInput = {}): RunResult['scenario'] {
  const { matrix: _m, ...scenario } = expandMatrix(
    validateScenario({ name: 'synthetic', description: 'A synthetic run for tests.', clients: 100, ...input }),
  )[0]!;
  return scenario;
}

export function syntheticResult(rows: ModelResult[], opts: { scenario?: ScenarioInput; repeat?: number } = {}): RunResult {
  const result: RunResult = {
    schemaVersion: SCHEMA_VERSION,
    kind: 'run',
    tool: { name: 'connbench', version: '0.0.0-test' },
    startedAt: '2026-01-02T03:04:05.000Z',
    finishedAt: '2026-01-02T03:05:05.000Z',
    complete: true,
    env: { node: 'v20.0.0', platform: 'linux', arch: 'x64', cpus: 2, memoryBytes: 24 * 1024 ** 3 },
    scenario: syntheticScenario(opts.scenario),
    models: rows,
  };
  if (opts.repeat) result.repeat = opts.repeat;
  return result;
}

/** N repeats of a model whose figures vary by the given factors (one per repeat), combined. */
export function repeatedRow(m: SyntheticModel, factors: number[]): ModelResult {
  return combineRepeats(
    factors.map((f) =>
      syntheticRow({
        ...m,
        latencyScale: (m.latencyScale ?? 1) * f,
        rssPerConnectionBytes: Math.round((m.rssPerConnectionBytes ?? 10_240) * f),
        cpuUsPerMessage: (m.cpuUsPerMessage ?? 20) * f,
      }),
    ),
  );
}

export { initHistograms };
