import type { ModelResult, RunResult } from './result.js';
import { formatQuantity, kindOfPath, metricValue, parseQuantity, exampleOf, type MetricKind } from './metricPaths.js';
import { holds, parseTarget, rowLabel, splitRule, targets, type Operator, type Target } from './condition.js';
import { spreadOf, type Spread } from './repeats.js';
import { decodeHistogram, mergeEncoded, summarizeMs, type LatencySummaryMs } from '../metrics/histogram.js';
import { inputError } from '../util/errors.js';
import { whyNotMeasured } from './unmeasured.js';

/**
 * `connbench compare BASE HEAD`: per model (and matrix point) and metric, the base and head
 * figures, the change, and whether it is a regression. Every metric here is better lower.
 * Latency percentiles are recomputed from the stored histograms (all repeats merged), not read
 * from the rounded summaries. Pure, once initHistograms() has run.
 */
export type Verdict = 'regressed' | 'improved' | 'unchanged' | 'n/a';

/** What decides whether a change is real: the base's own spread over repeats, a noise band, or exactness. */
export type Band = { kind: 'spread'; spread: Spread } | { kind: 'noise'; percent: number } | { kind: 'exact' };

export interface CompareCell {
  metric: string;
  label: string;
  kind: MetricKind;
  base: number | null;
  head: number | null;
  change: number | null;
  /** null when the base is 0 (or a side is missing). */
  changePercent: number | null;
  band: Band;
  verdict: Verdict;
}

export interface ComparedRow {
  model: string;
  matrix: Record<string, number | string>;
  label: string;
  baseRepeats: number;
  headRepeats: number;
  cells: CompareCell[];
}

export interface FailOnOutcome {
  rule: string;
  model: string;
  matrix: Record<string, number | string>;
  metric: string;
  failed: boolean;
  /** The rule matched, but the change lies within the base's own spread, so it does not count. */
  withinSpread: boolean;
  message: string;
}

export interface Comparison {
  base: { file: string; scenario: string; startedAt: string };
  head: { file: string; scenario: string; startedAt: string };
  /** Things that make the comparison less than like for like: differing scenarios, machines, repeats. */
  warnings: string[];
  /** How regressions were decided, in a sentence each. */
  notes: string[];
  rows: ComparedRow[];
  onlyInBase: string[];
  onlyInHead: string[];
  failOn: FailOnOutcome[];
  summary: { regressed: number; improved: number; unchanged: number };
}

/** The metrics compare shows, in order. Lost is exact: a lost message is never noise. */
export const COMPARED: { path: string; label: string; exact?: boolean }[] = [
  { path: 'latencyMs.p50', label: 'latency p50' },
  { path: 'latencyMs.p90', label: 'latency p90' },
  { path: 'latencyMs.p99', label: 'latency p99' },
  { path: 'latencyMs.p999', label: 'latency p99.9' },
  { path: 'latencyMs.max', label: 'latency max' },
  { path: 'messages.lost', label: 'lost', exact: true },
  { path: 'server.rssPerConnectionBytes', label: 'memory/conn (RSS)' },
  { path: 'server.cpuUsPerMessage', label: 'CPU/msg (server)' },
  { path: 'wire.serverBytesPerMessage', label: 'bytes/msg (server)' },
];

export const DEFAULT_NOISE_PERCENT = 5;

const latencyCache = new WeakMap<ModelResult, LatencySummaryMs>();

/** Percentiles from the row's histogram; with repeats, from all repeats' histograms merged. */
function latencyOf(row: ModelResult): LatencySummaryMs {
  let s = latencyCache.get(row);
  if (!s) {
    const h = row.repeats?.length
      ? mergeEncoded(row.repeats.map((r) => r.histogram))
      : row.histogram
        ? decodeHistogram(row.histogram)
        : undefined;
    s = h ? summarizeMs(h) : row.latencyMs;
    h?.destroy();
    latencyCache.set(row, s);
  }
  return s;
}

/** A figure of a row as compare sees it: latency from histograms, the rest as stored. */
export function compareValue(row: ModelResult, path: string): number | null {
  if (row.status === 'failed') return null;
  if (path.startsWith('latencyMs.')) {
    const v = latencyOf(row)[path.slice('latencyMs.'.length) as keyof LatencySummaryMs];
    return typeof v === 'number' ? v : null;
  }
  return metricValue(row, path);
}

function percentChange(base: number, head: number): number | null {
  if (base === 0) return head === 0 ? 0 : null;
  return (100 * (head - base)) / Math.abs(base);
}

export function compareCell(
  base: ModelResult,
  head: ModelResult,
  path: string,
  label: string,
  opts: { noisePercent: number; exact?: boolean },
): CompareCell {
  const kind = kindOfPath(path);
  const b = compareValue(base, path);
  const h = compareValue(head, path);
  const spread = opts.exact ? undefined : spreadOf(base, (r) => compareValue(r, path));
  const band: Band = opts.exact ? { kind: 'exact' } : spread ? { kind: 'spread', spread } : { kind: 'noise', percent: opts.noisePercent };
  if (b === null || h === null)
    return { metric: path, label, kind, base: b, head: h, change: null, changePercent: null, band, verdict: 'n/a' };
  const change = h - b;
  const tolerance =
    band.kind === 'exact' ? 0 : band.kind === 'spread' ? band.spread.max - band.spread.min : (band.percent / 100) * Math.abs(b);
  const verdict: Verdict = Math.abs(change) <= tolerance ? 'unchanged' : change > 0 ? 'regressed' : 'improved';
  return { metric: path, label, kind, base: b, head: h, change, changePercent: percentChange(b, h), band, verdict };
}

const rowKey = (r: ModelResult) => `${r.model}|${JSON.stringify(Object.entries(r.matrix).sort())}`;

/** Paths where two scenarios differ, "clients: 1000 → 500"; the description is not a setting. */
export function scenarioDifferences(a: unknown, b: unknown, prefix = ''): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => prefix || (k !== 'description' && k !== '$schema'));
    return keys.flatMap((k) =>
      scenarioDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k),
    );
  }
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  return ja === jb ? [] : [`${prefix}: ${ja ?? 'absent'} → ${jb ?? 'absent'}`];
}

function warningsOf(base: RunResult, head: RunResult, files: { base: string; head: string }): string[] {
  const w: string[] = [];
  const diff = scenarioDifferences(base.scenario, head.scenario);
  if (diff.length) w.push(`the runs used different scenarios (${diff.join('; ')}): differences in the figures may come from that`);
  const env = (['platform', 'arch', 'cpus', 'node', 'memoryBytes'] as const).filter((k) => base.env[k] !== head.env[k]);
  if (env.length)
    w.push(`the runs were on different machines or Node versions (${env.map((k) => `${k}: ${base.env[k]} → ${head.env[k]}`).join('; ')})`);
  if ((base.repeat ?? 1) !== (head.repeat ?? 1))
    w.push(`base has ${base.repeat ?? 1} run(s) per model and head ${head.repeat ?? 1}: counters such as lost are totals over the runs`);
  for (const [side, r] of [
    [files.base, base],
    [files.head, head],
  ] as const)
    if (!r.complete) w.push(`${side} is incomplete (the run was interrupted)`);
  return w;
}

// ---- --fail-on rules: "[model.]metric <op> <value>", where a signed value is a change ----

export interface FailOnRule {
  text: string;
  target: Target;
  op: Operator;
  /** relative: change in percent; absolute: head - base in the metric's unit; value: head alone. */
  mode: 'relative' | 'absolute' | 'value';
  limit: number;
}

export function parseFailOn(text: string): FailOnRule {
  const split = splitRule(text);
  const hint = `write it like 'latency.p99 > +10%' (a change), 'server.rssPerConnection > +2KiB' or 'websocket.latency.p99 > 20ms' (a value)`;
  if (!split) throw inputError('CB_ERR_FAIL_ON_INVALID', `--fail-on "${text}" is not "<metric> <op> <value>"`, hint);
  const target = parseTarget(split.target, `--fail-on "${text}"`);
  const signed = /^([+-])\s*(.+)$/.exec(split.rest);
  const kind = target.metric.kind;
  if (signed && /%$/.test(signed[2]!)) {
    const pct = Number(signed[2]!.slice(0, -1));
    if (Number.isFinite(pct)) return { text, target, op: split.op, mode: 'relative', limit: signed[1] === '-' ? -pct : pct };
  } else {
    const q = parseQuantity(signed ? signed[2]! : split.rest, kind);
    if (q !== undefined) return { text, target, op: split.op, mode: signed ? 'absolute' : 'value', limit: signed?.[1] === '-' ? -q : q };
  }
  throw inputError(
    'CB_ERR_FAIL_ON_INVALID',
    `--fail-on "${text}": "${split.rest}" is neither a signed change (+10%, +${exampleOf(kind)}) nor a ${target.metric.path} value (${exampleOf(kind)})`,
    hint,
  );
}

function signedQuantity(v: number, kind: MetricKind): string {
  return `${v >= 0 ? '+' : '-'}${formatQuantity(Math.abs(v), kind)}`;
}

function signedPercent(v: number | null): string {
  if (v === null) return 'new';
  return `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
}

function evaluateFailOn(rule: FailOnRule, base: ModelResult, head: ModelResult, noisePercent: number): FailOnOutcome {
  const { path, kind } = rule.target.metric;
  const cell = compareCell(base, head, path, path, { noisePercent });
  const id = { rule: rule.text, model: head.model, matrix: head.matrix, metric: path };
  const name = `${rowLabel(head)} ${path}`;
  if (cell.base === null || cell.head === null) {
    return {
      ...id,
      failed: true,
      withinSpread: false,
      message: `${name}: no samples in ${cell.base === null ? 'base' : 'head'} (${whyNotMeasured(cell.base === null ? base : head, path)}), so "${rule.text}" cannot be checked`,
    };
  }
  const pct = cell.changePercent ?? (cell.change! > 0 ? Infinity : cell.change! < 0 ? -Infinity : 0);
  const subject = rule.mode === 'relative' ? pct : rule.mode === 'absolute' ? cell.change! : cell.head;
  const matched = holds(subject, rule.op, rule.limit);
  const withinSpread = matched && rule.mode !== 'value' && cell.band.kind === 'spread' && cell.verdict === 'unchanged';
  const movement = `${formatQuantity(cell.base, kind)} → ${formatQuantity(cell.head, kind)} (${signedQuantity(cell.change!, kind)}, ${signedPercent(cell.changePercent)})`;
  let by = '';
  if (matched && rule.op !== '==' && rule.op !== '!=') {
    const beyond = Math.abs(subject - rule.limit);
    by =
      rule.mode === 'relative'
        ? Number.isFinite(beyond)
          ? `, ${beyond.toFixed(1)} points past the limit`
          : ''
        : `, ${formatQuantity(beyond, kind)} past the limit`;
  }
  const message = withinSpread
    ? `${name}: ${movement} matches "${rule.text}" but lies within the base's own spread (${formatQuantity((cell.band as { spread: Spread }).spread.min, kind)}–${formatQuantity((cell.band as { spread: Spread }).spread.max, kind)} over ${(cell.band as { spread: Spread }).spread.n} repeats), so it is not counted`
    : `${name}: ${movement}${matched ? ` fails "${rule.text}"${by}` : ` passes "${rule.text}"`}`;
  return { ...id, failed: matched && !withinSpread, withinSpread, message };
}

export function compareResults(
  base: RunResult,
  head: RunResult,
  opts: { files: { base: string; head: string }; noisePercent?: number; failOn?: FailOnRule[] },
): Comparison {
  const noisePercent = opts.noisePercent ?? DEFAULT_NOISE_PERCENT;
  const headByKey = new Map(head.models.map((r) => [rowKey(r), r]));
  const baseKeys = new Set(base.models.map(rowKey));
  const pairs = base.models.filter((r) => headByKey.has(rowKey(r))).map((b) => [b, headByKey.get(rowKey(b))!] as const);
  const rows: ComparedRow[] = pairs.map(([b, h]) => ({
    model: b.model,
    matrix: b.matrix,
    label: rowLabel(b),
    baseRepeats: b.repeats?.length ?? 1,
    headRepeats: h.repeats?.length ?? 1,
    cells: COMPARED.map((m) => compareCell(b, h, m.path, m.label, { noisePercent, exact: m.exact === true })),
  }));
  const failOn = (opts.failOn ?? []).flatMap((rule) =>
    pairs.filter(([, h]) => targets(rule.target, h.model)).map(([b, h]) => evaluateFailOn(rule, b, h, noisePercent)),
  );
  const cells = rows.flatMap((r) => r.cells);
  const baseHasRepeats = base.models.some((r) => (r.repeats?.length ?? 0) > 1);
  const notes = [
    baseHasRepeats
      ? `base holds repeats: a change counts as a regression or an improvement only when it is larger than the base's own spread (max - min over its repeats)`
      : `base holds one run per model: changes within ±${noisePercent}% count as noise (--noise; a base run with --repeat N gives a measured spread instead)`,
    'lost counts exactly: any increase is a regression',
    'latency percentiles are recomputed from the stored histograms' +
      (baseHasRepeats || head.models.some((r) => r.repeats) ? ' (repeats merged)' : ''),
  ];
  return {
    base: { file: opts.files.base, scenario: base.scenario.name, startedAt: base.startedAt },
    head: { file: opts.files.head, scenario: head.scenario.name, startedAt: head.startedAt },
    warnings: warningsOf(base, head, opts.files),
    notes,
    rows,
    onlyInBase: base.models.filter((r) => !headByKey.has(rowKey(r))).map(rowLabel),
    onlyInHead: head.models.filter((r) => !baseKeys.has(rowKey(r))).map(rowLabel),
    failOn,
    summary: {
      regressed: cells.filter((c) => c.verdict === 'regressed').length,
      improved: cells.filter((c) => c.verdict === 'improved').length,
      unchanged: cells.filter((c) => c.verdict === 'unchanged').length,
    },
  };
}

export { signedPercent, signedQuantity };
