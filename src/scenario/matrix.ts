import type { Scenario, ScenarioParsed } from './schema.js';

/** The fields that may hold a list; each list is one axis of the matrix. */
const AXES = {
  clients: (p: ScenarioParsed) => p.clients,
  'workload.rate': (p: ScenarioParsed) => p.workload.rate,
  'workload.payload': (p: ScenarioParsed) => p.workload.payload,
  'shortPoll.interval': (p: ScenarioParsed) => p.shortPoll.interval,
  'longPoll.hold': (p: ScenarioParsed) => p.longPoll.hold,
  'heartbeat.interval': (p: ScenarioParsed) => p.heartbeat.interval,
} as const;

type AxisName = keyof typeof AXES;

/** Expands every list-valued axis into its combinations, in file order (first axis slowest). */
export function expandMatrix(parsed: ScenarioParsed): Scenario[] {
  const axes = (Object.keys(AXES) as AxisName[]).map((name) => {
    const v = AXES[name](parsed);
    return { name, values: Array.isArray(v) ? v : [v], isList: Array.isArray(v) };
  });
  let points: Record<AxisName, number>[] = [{} as Record<AxisName, number>];
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.name]: v })));
  const listed = axes.filter((a) => a.isList).map((a) => a.name);
  return points.map((p) => toScenario(parsed, p, Object.fromEntries(listed.map((n) => [n, p[n]]))));
}

function toScenario(s: ScenarioParsed, p: Record<AxisName, number>, matrix: Record<string, number>): Scenario {
  return {
    name: s.name,
    description: s.description,
    models: s.models,
    clients: p.clients,
    rampUpMs: s.rampUp,
    warmupMs: s.warmup,
    durationMs: s.duration,
    drainTimeoutMs: s.drainTimeout,
    workload: { pattern: s.workload.pattern, ratePerSec: p['workload.rate'], payloadBytes: p['workload.payload'], roomSize: s.workload.roomSize, burst: s.workload.burst },
    shortPoll: { intervalMs: p['shortPoll.interval'] },
    longPoll: { holdMs: p['longPoll.hold'] },
    heartbeat: { intervalMs: p['heartbeat.interval'], timeoutMs: s.heartbeat.timeout },
    sse: { retryMs: s.sse.retry },
    server: s.server,
    client: s.client,
    thresholds: s.thresholds,
    faults: s.faults,
    matrix,
  };
}
