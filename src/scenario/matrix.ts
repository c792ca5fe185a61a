import { getModel, modelSections } from '../models/index.js';
import type { ModelId } from '../models/types.js';
import { NETWORK_AXES, resolveIntermediary, resolveTls, type ProxyKind } from './network.js';
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
  /**
   * Whether the axis means anything at a point (given the axes before it): where it does not (nginx
   * buffering without nginx), the point takes its first value only and the axis is left out of its
   * matrix values, so no run is repeated for a setting nothing reads.
   */
  appliesTo?(at: Point): boolean;
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
  ...(NETWORK_AXES as readonly Axis[]),
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
  const appliesTo = new Map(allAxes().map((a) => [a.name, a.appliesTo]));
  let points: { at: Point; listed: string[] }[] = [{ at: {}, listed: [] }];
  for (const axis of axes) {
    points = points.flatMap(({ at, listed }) => {
      const applies = appliesTo.get(axis.name)?.(at) ?? true;
      const values = applies ? axis.values : axis.values.slice(0, 1);
      const nowListed = axis.isList && applies ? [...listed, axis.name] : listed;
      return values.map((v) => ({ at: { ...at, [axis.name]: v }, listed: nowListed }));
    });
  }
  return points.map(({ at, listed }) => toScenario(parsed, at, Object.fromEntries(listed.map((n) => [n, at[n]!]))));
}

/**
 * The model runs of a matrix, in run order: every model of every point, except where an earlier
 * point already ran that model at the same values of what it reads (modelMatrix). `index` is the
 * point's, `point` carries the model's own matrix values.
 */
export function modelRuns(points: Scenario[]): { index: number; point: Scenario; model: ModelId }[] {
  const seen = new Set<string>();
  return points.flatMap((p, index) =>
    p.models.flatMap((model) => {
      const matrix = modelMatrix(p.matrix, model);
      const key = JSON.stringify([model, matrix]);
      if (seen.has(key)) return [];
      seen.add(key);
      return [{ index, point: { ...p, matrix }, model }];
    }),
  );
}

/**
 * The matrix values of a point that matter to one model: without the axes of other models'
 * sections (a short poll's interval says nothing about a websocket run). Two points that agree on
 * these are the same run of that model, which the runner makes once.
 */
export function modelMatrix(point: MatrixPoint, modelId: ModelId): MatrixPoint {
  const own = getModel(modelId).section?.key;
  const others = new Set(modelSections().flatMap(({ section }) => (section.key === own ? [] : [section.key])));
  return Object.fromEntries(Object.entries(point).filter(([name]) => !others.has(name.split('.')[0]!)));
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
    tls: resolveTls(s.tls, p['tls.enabled'] as 'on' | 'off', p['tls.resumption'] as 'on' | 'off'),
    intermediary: resolveIntermediary(s.intermediary, {
      proxy: p['intermediary.proxy'] as ProxyKind,
      buffering: p['intermediary.buffering'] as 'on' | 'off',
      idleTimeoutMs: p['intermediary.idleTimeout'] as number,
    }),
    server: {
      retention: p['server.retention'] as number,
      processes: s.server.processes,
      slowReaderQueueBytes: s.server.slowReaderQueue,
      stallTimeoutMs: s.server.stallTimeout,
    },
    client: {
      workers: s.client.workers,
      sourceAddresses: s.client.sourceAddresses,
      busyPoll: s.client.busyPoll,
      resume: p['client.resume'] as ResumeMode,
      reconnect: { minDelayMs: s.client.reconnect.minDelay, maxDelayMs: s.client.reconnect.maxDelay },
    },
    thresholds: s.thresholds,
    faults: s.faults.map(resolveFault).sort((a, b) => a.atMs - b.atMs),
    matrix,
  };
}
