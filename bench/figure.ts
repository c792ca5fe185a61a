/**
 * One bench figure: what connbench measured, what its floor or peer measured in the same run, the
 * ratio and the goal from issues 8 and 15. Pure.
 */
export interface Goal {
  /** `<=`: lower is better (memory, latency, cost share); `>=`: higher is better (throughput). */
  op: '<=' | '>=';
  ratio: number;
  /** A line that must never be crossed (short polling: never below 0.8 of autocannon). */
  never?: number;
}

/** Where to look when a figure misses its goal: this run's own reading of it, and how to look closer. */
export interface Explanation {
  /** A sentence from this run's own figures: which side set the pace, how the machine's floor moved, … */
  why?: string;
  /** A command that takes this measurement apart (a profile, a heap diff). */
  profile?: string;
  /** The heading in docs/benchmarks.md that reads this figure's misses. */
  docs: string;
}

export interface Figure {
  /** Stable id, e.g. `server.rssPerConnection.tcp`. */
  id: string;
  title: string;
  unit: 'requests/s' | 'bytes/connection' | 'ms' | 'µs' | 'deliveries/s' | 'CPU µs';
  measured: number;
  floor: number;
  /** What `floor` is: `autocannon 8`, `bare net server`, … */
  floorName: string;
  /** measured / floor. */
  ratio: number;
  goal: Goal;
  met: boolean;
  /** How far the ratio is from the goal (always >= 0; 0 when met). */
  missBy: number;
  /** Other figures of the same measurement that explain it (CPU, counts, …). */
  details: Record<string, number | string | boolean>;
  explain?: Explanation;
}

const round = (x: number, digits: number) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

export function figure(f: Omit<Figure, 'ratio' | 'met' | 'missBy' | 'details'> & { details?: Figure['details'] }): Figure {
  const ratio = f.floor > 0 ? f.measured / f.floor : Number.POSITIVE_INFINITY;
  const met = f.goal.op === '<=' ? ratio <= f.goal.ratio : ratio >= f.goal.ratio;
  const missBy = met ? 0 : Math.abs(ratio - f.goal.ratio);
  return { ...f, ratio: round(ratio, 3), met, missBy: round(missBy, 3), details: f.details ?? {} };
}

/** Whether a figure crossed its `never` line (worse than a missed goal). */
export function crossedNever(f: Figure): boolean {
  if (f.goal.never === undefined) return false;
  return f.goal.op === '>=' ? f.ratio < f.goal.never : f.ratio > f.goal.never;
}
