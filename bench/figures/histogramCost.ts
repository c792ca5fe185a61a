import { LatencyRecorder, initHistograms } from '../../dist/metrics/histogram.js';
import { figure, type Figure } from '../figure.js';
import type { BroadcastLoad } from './broadcast.js';

const GOAL = 0.01;
/** Latencies of a busy run, microseconds: a spread of magnitudes so the histogram touches many buckets. */
const SAMPLE_VALUES = 4096;

/**
 * CPU per latency record, the way the workers record each delivery (src/client/worker.ts): the
 * project's LatencyRecorder (src/metrics/histogram.ts), timed over `records` calls and the flush
 * into the WASM histogram that follows them, in this process.
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
    for (let i = 0; i < Math.min(records, 100_000); i++) recorder.recordValue(values[i % SAMPLE_VALUES]!);
    recorder.flush();
    const c0 = process.cpuUsage();
    for (let i = 0; i < records; i++) recorder.recordValue(values[i % SAMPLE_VALUES]!);
    recorder.flush();
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) * 1000) / records;
  } finally {
    recorder.histogram.destroy();
  }
}

/** The recording's share of client CPU in the fastest broadcast of this bench run. */
export function histogramShareFigure(load: BroadcastLoad, recordNs: number): Figure {
  return figure({
    id: 'client.histogramCpuShare',
    title: `histogram recording share of client CPU, ${load.model} broadcast at ${Math.round(load.deliveriesPerSec).toLocaleString('en-US')} deliveries/s`,
    unit: 'CPU µs',
    measured: (load.recorded * recordNs) / 1000,
    floor: load.clientCpuUs,
    floorName: "the client workers' total CPU",
    goal: { op: '<=', ratio: GOAL },
    details: { recordNs: Math.round(recordNs * 10) / 10, recorded: load.recorded },
  });
}
