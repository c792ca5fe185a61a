import type { ModelResult, RunResult, ThresholdOutcome } from './result.js';
import { exampleOf, formatQuantity, metricValue, parseQuantity, type MetricKind } from './metricPaths.js';
import { holds, parseTarget, rowLabel, splitOperator, targets, type Operator, type Target } from './condition.js';
import { ConnbenchError, inputError } from '../util/errors.js';
import { whyNotMeasured } from './unmeasured.js';

/**
 * Scenario thresholds: `"<model or *>.<metric>": "<op> <value with unit>"`, checked against each
 * row of a finished run. Pure: parsing returns every problem at once; evaluation returns one
 * outcome per threshold and row, each with a line saying by how much it missed.
 */
export interface Threshold {
  target: string;
  condition: string;
  parsed: Target;
  op: Operator;
  /** In the metric's own unit. */
  limit: number;
}

export function parseThreshold(target: string, condition: string): Threshold {
  const parsed = parseTarget(target, `threshold "${target}"`);
  const split = splitOperator(condition);
  const kind = parsed.metric.kind;
  const example = `"${target}": "< ${exampleOf(kind)}"`;
  if (!split)
    throw inputError(
      'CB_ERR_THRESHOLD_INVALID',
      `threshold "${target}": "${condition}" does not start with <, <=, >, >=, == or !=`,
      `write it like ${example}`,
    );
  const limit = parseQuantity(split.rest, kind);
  if (limit === undefined) {
    throw inputError(
      'CB_ERR_THRESHOLD_INVALID',
      `threshold "${target}": "${split.rest}" is not a ${describeKind(kind)} (${parsed.metric.path} is measured in ${unitName(kind)})`,
      `write it like ${example}`,
    );
  }
  return { target, condition, parsed, op: split.op, limit };
}

/** Every threshold of a scenario, or one error listing all the bad ones. */
export function parseThresholds(record: Record<string, string>, source = 'scenario'): Threshold[] {
  const out: Threshold[] = [];
  const problems: string[] = [];
  for (const [target, condition] of Object.entries(record)) {
    try {
      out.push(parseThreshold(target, String(condition)));
    } catch (err) {
      if (!(err instanceof ConnbenchError)) throw err;
      problems.push(err.message + (err.hint ? ` (${err.hint})` : ''));
    }
  }
  if (problems.length === 1) throw inputError('CB_ERR_THRESHOLD_INVALID', `${source}: ${problems[0]}`, 'fix the thresholds section');
  if (problems.length > 1)
    throw inputError(
      'CB_ERR_THRESHOLD_INVALID',
      `${source} has ${problems.length} bad thresholds:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      'fix the thresholds section',
    );
  return out;
}

function describeKind(kind: MetricKind): string {
  return { ms: 'duration', us: 'duration', bytes: 'size', percent: 'percentage', rate: 'rate', count: 'number' }[kind];
}

function unitName(kind: MetricKind): string {
  return { ms: 'milliseconds', us: 'microseconds', bytes: 'bytes', percent: 'percent', rate: 'per second', count: 'a count' }[kind];
}

/** "3.40 ms over (+17.0%)": how far a value is on the wrong side of its limit. */
export function missedBy(actual: number, op: Operator, limit: number, kind: MetricKind): string {
  if (op === '!=') return 'equal to the value it must differ from';
  const delta = op === '<' || op === '<=' ? actual - limit : op === '>' || op === '>=' ? limit - actual : Math.abs(actual - limit);
  const word = op === '<' || op === '<=' ? 'over' : op === '>' || op === '>=' ? 'under' : 'off';
  const pct = limit !== 0 ? ` (${((100 * delta) / Math.abs(limit)).toFixed(1)}%)` : '';
  return `${formatQuantity(delta, kind)} ${word}${pct}`;
}

export function evaluateThreshold(t: Threshold, row: ModelResult): ThresholdOutcome {
  const { metric } = t.parsed;
  const name = `${rowLabel(row)}.${metric.path}`;
  const base = { target: t.target, condition: t.condition, model: row.model, matrix: row.matrix, metric: metric.path, limit: t.limit };
  const limitText = `${t.op} ${formatQuantity(t.limit, metric.kind)}`;
  if (row.status === 'failed') {
    return {
      ...base,
      actual: null,
      passed: false,
      message: `${name}: ${row.model} failed (${row.statusReason ?? 'no figures'}), so "${t.condition}" cannot hold`,
    };
  }
  const actual = metricValue(row, metric.path);
  if (actual === null)
    return {
      ...base,
      actual,
      passed: false,
      message: `${name}: no samples (${whyNotMeasured(row, metric.path)}), so "${t.condition}" cannot be checked`,
    };
  const passed = holds(actual, t.op, t.limit);
  const shown = `${name} = ${formatQuantity(actual, metric.kind)}`;
  const clientBound = row.status === 'client-bound' ? ' [client-bound: the generator, not the model, set this figure]' : '';
  return {
    ...base,
    actual,
    passed,
    message: passed
      ? `${shown} (${limitText})${clientBound}`
      : `${shown}, must be ${limitText}: ${missedBy(actual, t.op, t.limit, metric.kind)}${clientBound}`,
  };
}

/** Every threshold against every row it names. A threshold naming a model that did not run yields nothing. */
export function evaluateThresholds(thresholds: Threshold[], result: RunResult): ThresholdOutcome[] {
  const out: ThresholdOutcome[] = [];
  for (const t of thresholds) for (const row of result.models) if (targets(t.parsed, row.model)) out.push(evaluateThreshold(t, row));
  return out;
}

/** Thresholds whose model is not in the result: said aloud, so a typo'd model does not pass silently. */
export function unmatchedThresholds(thresholds: Threshold[], result: RunResult): Threshold[] {
  return thresholds.filter((t) => !result.models.some((r) => targets(t.parsed, r.model)));
}

/** The lines a person reads after a run: failures first, then a count. */
export function renderThresholdReport(outcomes: ThresholdOutcome[], unmatched: Threshold[] = []): string {
  if (outcomes.length === 0 && unmatched.length === 0) return '';
  const failed = outcomes.filter((o) => !o.passed);
  const lines = [`thresholds: ${outcomes.length - failed.length} passed, ${failed.length} failed`];
  for (const o of failed) lines.push(`  FAIL ${o.target} ${o.condition}: ${o.message}`);
  for (const o of outcomes.filter((x) => x.passed)) lines.push(`  ok   ${o.target} ${o.condition}: ${o.message}`);
  for (const t of unmatched) lines.push(`  note ${t.target} ${t.condition}: no model "${t.parsed.model}" in this run`);
  return `${lines.join('\n')}\n`;
}

/** The error the CLI turns into exit 1, after the report above has been printed. */
export function thresholdFailure(failed: ThresholdOutcome[]): ConnbenchError {
  const first = failed[0]!;
  return new ConnbenchError(
    'CB_ERR_THRESHOLD_FAILED',
    `${failed.length} threshold${failed.length === 1 ? '' : 's'} failed, first: ${first.target} ${first.condition}: ${first.message}`,
    {
      kind: 'threshold',
      hint: "the figures above missed the limits in the scenario's thresholds section; fix the regression or change the limit on purpose",
    },
  );
}
