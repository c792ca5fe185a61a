import { modelSections } from '../models/index.js';
import {
  DEFAULT_RAMP_UP_MS,
  resolveFault,
  type MatrixPoint,
  type ModelSections,
  type ResumeMode,
  type Scenario,
  type ScenarioParsed,
} from './schema.js';

type AxisValue = number | string;

/** A field that may hold a list; each list is one axis of the matrix, named by its path. */
interface Axis {
  name: string;
  of(p: ScenarioParsed): AxisValue | AxisValue[];
}

const LEADING_AXES: Axis[] = [
  { name: 'clients', of: (p) => p.clients },
  { name: 'workload.rate', of: (p) => p.workload.rate },
  { name: 'workload.payload', of: (p) => p.workload.payload },
  { name: 'workload.roomSize', of: (p) => p.workload.roomSize },
];

const TRAILING_AXES: Axis[] = [
  { name: 'heartbeat.interval', of: (p) => p.heartbeat.interval },
  { name: 'server.retention', of: (p) => p.server.retention },
  { name: 'client.resume', of: (p) => p.client.resume },
];

/** The section fields of a model that accept a list, e.g. `longPoll.hold`. */
function sectionAxes(): Axis[] {
  return modelSections().flatMap(({ section }) =>
    section.axes.map((field) => ({
      name: `${section.key}.${field}`,
      of: (p: ScenarioParsed) => (p[section.key] as Record<string, AxisValue | AxisValue[]>)[field]!,
    })),
  );
}

/** Every axis in matrix order: the first varies slowest. */
function allAxes(): Axis[] {
  return [...LEADING_AXES, ...sectionAxes(), ...TRAILING_AXES];
}

/** The value of every axis at one point, by axis name. */
type Point = Record<string, AxisValue>;

/** Expands every list-valued axis into its combinations, in axis order (first axis slowest). */
export function expandMatrix(parsed: ScenarioParsed): Scenario[] {
  const axes = allAxes().map((axis) => {
    const v = axis.of(parsed);
    return { name: axis.name, values: Array.isArray(v) ? v : [v], isList: Array.isArray(v) };
  });
  let points: Point[] = [{}];
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.name]: v })));
  const listed = axes.filter((a) => a.isList).map((a) => a.name);
  return points.map((p) => toScenario(parsed, p, Object.fromEntries(listed.map((n) => [n, p[n]!]))));
}

/** Each model's section at this point: its axes at the point's values, then resolved by the model. */
function sectionsAt(s: ScenarioParsed, p: Point): ModelSections {
  return Object.fromEntries(
    modelSections().map(({ section }) => {
      const parsed = { ...(s[section.key] as Record<string, unknown>) };
      for (const field of section.axes) parsed[field] = p[`${section.key}.${field}`];
      return [section.key, section.resolve(parsed)];
    }),
  );
}

function toScenario(s: ScenarioParsed, p: Point, matrix: MatrixPoint): Scenario {
  const clients = p.clients as number;
  const rampUpMs = s.connectRate !== undefined ? Math.round((clients / s.connectRate) * 1000) : (s.rampUp ?? DEFAULT_RAMP_UP_MS);
  return {
    name: s.name,
    description: s.description,
    models: s.models,
    clients,
    rampUpMs,
    connectRatePerSec: s.connectRate ?? null,
    warmupMs: s.warmup,
    durationMs: s.duration,
    drainTimeoutMs: s.drainTimeout,
    workload: {
      pattern: s.workload.pattern,
      ratePerSec: p['workload.rate'] as number,
      payloadBytes: p['workload.payload'] as number,
      roomSize: p['workload.roomSize'] as number,
      burst: s.workload.burst,
    },
    churnPerSec: s.churn,
    actions: s.actions.map((a) => ({ action: a.action, atMs: a.at })).sort((a, b) => a.atMs - b.atMs),
    ...sectionsAt(s, p),
    heartbeat: { intervalMs: p['heartbeat.interval'] as number, timeoutMs: s.heartbeat.timeout },
    server: {
      retention: p['server.retention'] as number,
      processes: s.server.processes,
      slowReaderQueueBytes: s.server.slowReaderQueue,
      stallTimeoutMs: s.server.stallTimeout,
    },
    client: {
      workers: s.client.workers,
      sourceAddresses: s.client.sourceAddresses,
      resume: p['client.resume'] as ResumeMode,
      reconnect: { minDelayMs: s.client.reconnect.minDelay, maxDelayMs: s.client.reconnect.maxDelay },
    },
    thresholds: s.thresholds,
    faults: s.faults.map(resolveFault).sort((a, b) => a.atMs - b.atMs),
    matrix,
  };
}
