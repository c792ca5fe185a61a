import { LatencyRecorder, initHistograms } from '../../dist/metrics/histogram.js';
import { median } from '../../dist/report/repeats.js';
import { figure, type Figure } from '../figure.js';
import type { BroadcastLoad } from './broadcast.js';

const GOAL = 0.01;
/** Latencies of a busy run, microseconds: a spread of magnitudes so the histogram touches many buckets. */
const SAMPLE_VALUES = 4096;

/** Timed rounds: the figure is their median. */
const ROUNDS = 5;
/** Untimed rounds first: the workers record hundreds of thousands of values with recordValue optimised, not on its first call. */
const WARMUP_ROUNDS = 4;

/**
 * CPU per latency record, the way the workers record each delivery (src/client/worker.ts): the
 * project's LatencyRecorder (src/metrics/histogram.ts), over rounds of `records` calls each with
 * the flush into the WASM histogram that follows them, in this process. The median of ROUNDS
 * rounds after WARMUP_ROUNDS: the first rounds time the loop before it is optimised (eight rounds
 * of 2,000,000 in one process on 2026-12-05 took 17.8, 8.6, 8.1, 11.5, then 4.7-4.9 ns a record).
 */
export async function recordCostNs(records: number): Promise<number> {
  await initHistograms();
  const recorder = new LatencyRecorder();
  try {
    const values = new Float64Array(SAMPLE_VALUES);
    // A fixed LCG, not Math.random: the same values every run.
    let x = 12345;
    for (let i = 0; i < SAMPLE_VALUES; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      values[i] = 50 + Math.floor(Math.exp((x / 2 ** 31) * Math.log(2_000_000)));
    }
    for (let i = 0; i < WARMUP_ROUNDS; i++) timedRound(recorder, values, records);
    return median(Array.from({ length: ROUNDS }, () => timedRound(recorder, values, records)));
  } finally {
    recorder.histogram.destroy();
  }
}

/** CPU ns per record of `records` records and their flush. */
function timedRound(recorder: LatencyRecorder, values: Float64Array, records: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < records; i++) recorder.recordValue(values[i % SAMPLE_VALUES]!);
  recorder.flush();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / records;
}

/** The recording's share of client CPU in the fastest broadcast of this bench run. */
export function histogramShareFigure(load: BroadcastLoad, recordNs: number): Figure {
  const roundedNs = Math.round(recordNs * 10) / 10;
  return figure({
    id: 'client.histogramCpuShare',
    title: `histogram recording share of client CPU, ${load.model} broadcast at ${Math.round(load.deliveriesPerSec).toLocaleString('en-US')} deliveries/s`,
    unit: 'CPU µs',
    measured: (load.recorded * recordNs) / 1000,
    floor: load.clientCpuUs,
    floorName: "the client workers' total CPU",
    goal: { op: '<=', ratio: GOAL },
    details: { recordNs: roundedNs, recorded: load.recorded },
    explain: {
      why: `a record cost ${roundedNs} ns, and the whole client ${Math.round((load.clientCpuUs / load.recorded) * 1000)} ns a delivery`,
      docs: 'Where a goal is missed, and what limits it',
    },
  });
}
