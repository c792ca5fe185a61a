import { DEFAULT_RAMP_UP_MS, resolveFault, type MatrixPoint, type ResumeMode, type Scenario, type ScenarioParsed } from './schema.js';

/** The fields that may hold a list; each list is one axis of the matrix, named by its path. */
const AXES = {
  clients: (p: ScenarioParsed) => p.clients,
  'workload.rate': (p: ScenarioParsed) => p.workload.rate,
  'workload.payload': (p: ScenarioParsed) => p.workload.payload,
  'workload.roomSize': (p: ScenarioParsed) => p.workload.roomSize,
  'shortPoll.interval': (p: ScenarioParsed) => p.shortPoll.interval,
  'longPoll.hold': (p: ScenarioParsed) => p.longPoll.hold,
  'heartbeat.interval': (p: ScenarioParsed) => p.heartbeat.interval,
  'server.retention': (p: ScenarioParsed) => p.server.retention,
  'client.resume': (p: ScenarioParsed) => p.client.resume,
} as const;

export type AxisName = keyof typeof AXES;
export const AXIS_NAMES = Object.keys(AXES) as AxisName[];

/** The value of every axis at one point. */
type Point = { [A in AxisName]: ReturnType<(typeof AXES)[A]> extends infer V ? (V extends (infer E)[] ? E : V) : never };

/** Expands every list-valued axis into its combinations, in AXES order (first axis slowest). */
export function expandMatrix(parsed: ScenarioParsed): Scenario[] {
  const axes = AXIS_NAMES.map((name) => {
    const v = AXES[name](parsed);
    return { name, values: Array.isArray(v) ? v : [v], isList: Array.isArray(v) };
  });
  let points = [{} as Point];
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.name]: v })));
  const listed = axes.filter((a) => a.isList).map((a) => a.name);
  return points.map((p) => toScenario(parsed, p, Object.fromEntries(listed.map((n) => [n, p[n]]))));
}

function toScenario(s: ScenarioParsed, p: Point, matrix: MatrixPoint): Scenario {
  const rampUpMs = s.connectRate !== undefined ? Math.round((p.clients / s.connectRate) * 1000) : (s.rampUp ?? DEFAULT_RAMP_UP_MS);
  return {
    name: s.name,
    description: s.description,
    models: s.models,
    clients: p.clients,
    rampUpMs,
    connectRatePerSec: s.connectRate ?? null,
    warmupMs: s.warmup,
    durationMs: s.duration,
    drainTimeoutMs: s.drainTimeout,
    workload: {
      pattern: s.workload.pattern,
      ratePerSec: p['workload.rate'],
      payloadBytes: p['workload.payload'],
      roomSize: p['workload.roomSize'],
      burst: s.workload.burst,
    },
    churnPerSec: s.churn,
    actions: s.actions.map((a) => ({ action: a.action, atMs: a.at })).sort((a, b) => a.atMs - b.atMs),
    shortPoll: { intervalMs: p['shortPoll.interval'] },
    longPoll: { holdMs: p['longPoll.hold'] },
    heartbeat: { intervalMs: p['heartbeat.interval'], timeoutMs: s.heartbeat.timeout },
    sse: { retryMs: s.sse.retry, client: s.sse.client, echo: s.sse.echo },
    server: { retention: p['server.retention'], processes: s.server.processes },
    client: {
      workers: s.client.workers,
      sourceAddresses: s.client.sourceAddresses,
      resume: p['client.resume'] satisfies ResumeMode,
      reconnect: { minDelayMs: s.client.reconnect.minDelay, maxDelayMs: s.client.reconnect.maxDelay },
    },
    thresholds: s.thresholds,
    faults: s.faults.map(resolveFault).sort((a, b) => a.atMs - b.atMs),
    matrix,
  };
}
