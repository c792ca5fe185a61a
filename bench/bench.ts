import os from 'node:os';
import type { ModelId } from '../dist/models/types.js';
import { TOOL_VERSION } from '../dist/util/version.js';
import type { Figure } from './figure.js';
import type { BenchSizes } from './sizes.js';
import { shortPollFigure } from './figures/shortPoll.js';
import { memoryFigures, MEMORY_RUNS, type MemoryRun } from './figures/memory.js';
import { latencyFigures, LATENCY_RUNS, type LatencyRun } from './figures/latency.js';
import { broadcastFigures, BROADCAST_MODELS } from './figures/broadcast.js';
import { histogramShareFigure, recordCostNs } from './figures/histogramCost.js';
import { publisherLagFigures } from './figures/publisherLag.js';
import { tlsFigures, TLS_MODELS } from './figures/tlsCost.js';

/** The bench result JSON: results/bench-<date>.json. */
export interface BenchResult {
  kind: 'bench';
  schemaVersion: 1;
  tool: { name: 'connbench'; version: string };
  command: string;
  startedAt: string;
  finishedAt: string | null;
  env: { node: string; platform: string; arch: string; cpus: number; cpuModel: string; memoryBytes: number };
  /** 1, 5 and 15 minute load averages: other work on the machine skews every figure, so it is on record. */
  loadAverage: { atStart: number[]; atEnd: number[] | null };
  sizes: BenchSizes;
  figures: Figure[];
  /** Steps that could not be measured, with why; the other figures stand. */
  failures: { step: string; message: string }[];
}

export interface BenchOptions {
  command: string;
  /** Restrict the model runs (the smoke test runs one of each kind). */
  memoryRuns?: MemoryRun[];
  /** SSE client kinds measured alone, outside the worker. */
  sseAlone?: ('reference' | 'lean')[];
  latencyRuns?: LatencyRun[];
  broadcastModels?: ModelId[];
  /** The models whose TLS cost per connection is measured against bare `tls`. */
  tlsModels?: ModelId[];
  /** Called after each step with the result so far (the entry point checkpoints it to disk). */
  onStep?: (r: BenchResult, step: string) => void;
}

/**
 * Every figure of issues 8 and 13, each against its floor or peer measured in this same run. Steps run
 * one after another so no two measurements share the CPU; a step that fails is recorded and the
 * rest go on.
 */
export async function runBench(sizes: BenchSizes, opts: BenchOptions): Promise<BenchResult> {
  const result: BenchResult = {
    kind: 'bench',
    schemaVersion: 1,
    tool: { name: 'connbench', version: TOOL_VERSION },
    command: opts.command,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    env: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryBytes: os.totalmem(),
    },
    loadAverage: { atStart: os.loadavg(), atEnd: null },
    sizes,
    figures: [],
    failures: [],
  };
  const step = async (name: string, f: () => Promise<Figure[]>) => {
    try {
      result.figures.push(...(await f()));
    } catch (err) {
      result.failures.push({ step: name, message: (err as Error)?.message ?? String(err) });
    }
    opts.onStep?.(result, name);
  };

  await step('short-poll vs autocannon', async () => [await shortPollFigure(sizes.shortPoll)]);
  await step('memory per connection', () => memoryFigures(sizes.memory, opts.memoryRuns ?? MEMORY_RUNS, opts.sseAlone));
  let latencyRows: Awaited<ReturnType<typeof latencyFigures>>['rows'] = [];
  await step('push latency', async () => {
    const { figures, rows } = await latencyFigures(sizes.latency, opts.latencyRuns ?? LATENCY_RUNS);
    latencyRows = rows;
    return figures;
  });
  await step('publisher lateness', () => publisherLagFigures(sizes.publisherLag, latencyRows));
  await step('broadcast and histogram share', async () => {
    const { figures, loads } = await broadcastFigures(sizes.broadcast, opts.broadcastModels ?? BROADCAST_MODELS);
    const fastest = loads.reduce((a, b) => (b.deliveriesPerSec > a.deliveriesPerSec ? b : a), loads[0]!);
    return [...figures, histogramShareFigure(fastest, await recordCostNs(sizes.histogramRecords))];
  });
  await step('TLS cost per connection', () => tlsFigures(sizes.tls, opts.tlsModels ?? TLS_MODELS));
  result.finishedAt = new Date().toISOString();
  result.loadAverage.atEnd = os.loadavg();
  return result;
}
