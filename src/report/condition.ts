import { MODEL_IDS } from '../models/index.js';
import { resolveMetric, type Metric } from './metricPaths.js';

/**
 * The pieces thresholds and `compare --fail-on` share: a target `[<model or *>.]<metric>` and a
 * comparison operator. Pure.
 */
export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export const OPERATORS: readonly Operator[] = ['<=', '>=', '==', '!=', '<', '>'];

export interface Target {
  /** A model id, or "*" for every model. */
  model: string;
  metric: Metric;
}

/** `websocket.latency.p99` → websocket + latencyMs.p99; `lost` and `*.lost` → every model. */
export function parseTarget(text: string, context: string): Target {
  const t = text.trim();
  const dot = t.indexOf('.');
  const first = dot < 0 ? t : t.slice(0, dot);
  if (dot > 0 && (first === '*' || (MODEL_IDS as readonly string[]).includes(first))) {
    return { model: first, metric: resolveMetric(t.slice(dot + 1), context) };
  }
  return { model: '*', metric: resolveMetric(t, context) };
}

/** Splits "< 20ms" into the operator and the rest; undefined when it starts with none. */
export function splitOperator(text: string): { op: Operator; rest: string } | undefined {
  const t = text.trim();
  const op = OPERATORS.find((o) => t.startsWith(o));
  return op ? { op, rest: t.slice(op.length).trim() } : undefined;
}

const RULE = new RegExp(`^\\s*(\\S+?)\\s*((?:${OPERATORS.join('|')}).*)$`);

/** Splits "websocket.latency.p99<20ms" or "latency.p99 > +10%" into target, operator and the rest; undefined without an operator. */
export function splitRule(text: string): { target: string; op: Operator; rest: string } | undefined {
  const m = RULE.exec(text);
  const split = m && splitOperator(m[2]!);
  return split ? { target: m[1]!, ...split } : undefined;
}

export function holds(actual: number, op: Operator, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}

/** Whether a row of this model is one the target names. */
export function targets(t: Target, model: string): boolean {
  return t.model === '*' || t.model === model;
}

/** "websocket[clients=1000]" for a matrix row, the model alone otherwise. */
export function rowLabel(row: { model: string; matrix: Record<string, number | string> }): string {
  const axes = Object.entries(row.matrix);
  return axes.length ? `${row.model}[${axes.map(([k, v]) => `${k}=${v}`).join(',')}]` : row.model;
}
