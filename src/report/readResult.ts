import { readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { READABLE_SCHEMA_VERSIONS, SCHEMA_VERSION, type ModelResult, type RunResult } from './result.js';
import { runResultSchema } from './resultSchema.js';
import { upgradeRowWithZeros, upgradeRowWithoutTransport } from './upgradeResult.js';
import { decodeHistogram } from '../metrics/histogram.js';
import { inputError } from '../util/errors.js';
import { formatBytes } from '../util/units.js';

/** The largest result file read: a run of many matrix points and repeats is a few MiB. */
export const MAX_RESULT_BYTES = 256 * 1024 * 1024;

const RERUN_HINT = 'pass the result JSON that `connbench run` wrote, unedited';
/** Problems listed at once in one refusal. */
const MAX_PROBLEMS = 5;

/**
 * Checks that text is a result JSON this version understands (READABLE_SCHEMA_VERSIONS; 1, 2 and 3
 * are read as 4 states them, and 1 to 4 with the transport of 5 as not measured:
 * src/report/upgradeResult.ts) and returns it as the current version. Every problem names the
 * file, so a CI log says which of the two compared files is at fault.
 */
export function parseResultText(text: string, file: string): RunResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw inputError(
      'CB_ERR_RESULT_NOT_JSON',
      `${file} is not JSON: ${(err as Error).message}`,
      'pass the result JSON that `connbench run` wrote (results/<scenario>-<timestamp>.json)',
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw inputError(
      'CB_ERR_RESULT_INVALID',
      `${file} is JSON but not a connbench result (expected an object)`,
      'pass the result JSON that `connbench run` wrote',
    );
  const v = value as Record<string, unknown>;
  if (typeof v.schemaVersion !== 'number' || !READABLE_SCHEMA_VERSIONS.includes(v.schemaVersion)) {
    throw inputError(
      'CB_ERR_RESULT_SCHEMA',
      `${file} has schemaVersion ${JSON.stringify(v.schemaVersion ?? null)}; this connbench reads schemaVersion ${readable()} (writes ${SCHEMA_VERSION})`,
      'produce both files with the same major version of connbench, or re-run the benchmark',
    );
  }
  // Heartbeat lab results share the schemaVersion but not the shape: say what they are.
  if (v.kind !== undefined && v.kind !== 'run') {
    throw inputError(
      'CB_ERR_RESULT_KIND',
      `${file} is a ${JSON.stringify(v.kind)} result; compare and report read the results of \`connbench run\``,
      v.kind === 'heartbeat' || v.kind === 'heartbeat-probe'
        ? 'a heartbeat result is printed by `connbench heartbeat` itself (--json, --markdown)'
        : v.kind === 'shard'
          ? 'a shard holds part of a run: merge every shard first (connbench merge), then read the merged result'
          : 'pass a result JSON that `connbench run` wrote',
    );
  }
  const parsed = runResultSchema.safeParse(v, { reportInput: true });
  const problems = parsed.success ? histogramProblems(v.models as ModelResult[]) : parsed.error.issues.map(issueText);
  if (problems.length > 0)
    throw inputError('CB_ERR_RESULT_INVALID', `${file} is not a complete connbench result: ${listed(problems)}`, RERUN_HINT);
  const result = v as unknown as RunResult;
  // Versions before 4 wrote 0 where a figure had no samples behind it; before 5 they had no transport.
  if (v.schemaVersion < 4) result.models = result.models.map(upgradeRowWithZeros);
  if (v.schemaVersion < 5) result.models = result.models.map(upgradeRowWithoutTransport);
  return { ...result, schemaVersion: SCHEMA_VERSION, kind: 'run' };
}

/** "1, 2, 3 and 4". */
const readable = () => `${READABLE_SCHEMA_VERSIONS.slice(0, -1).join(', ')} and ${READABLE_SCHEMA_VERSIONS.at(-1)}`;

/** `models[0].latencyMs.p50: expected number, got "fast"`. */
function issueText(issue: z.core.$ZodIssue): string {
  const path = issue.path.reduce<string>((p, k) => (typeof k === 'number' ? `${p}[${k}]` : p ? `${p}.${String(k)}` : String(k)), '');
  const given = 'input' in issue && issue.input !== undefined ? `, got ${JSON.stringify(issue.input).slice(0, 40)}` : ', missing';
  return `${path || '(top level)'}: ${issue.message.replace(/^Invalid input: /, '').replace(/, received \w+$/, '')}${given}`;
}

function listed(problems: string[]): string {
  const more = problems.length > MAX_PROBLEMS ? `; and ${problems.length - MAX_PROBLEMS} more` : '';
  return `${problems.slice(0, MAX_PROBLEMS).join('; ')}${more}`;
}

/**
 * Every histogram (each row's and each repeat's) must decode, and hold as many deliveries as its
 * row's latencyMs.count says: compare and the HTML report recompute from them.
 */
function histogramProblems(rows: ModelResult[]): string[] {
  const problems: string[] = [];
  const check = (r: ModelResult, at: string) => {
    if (r.histogram === '') {
      if (r.latencyMs.count !== 0) problems.push(`${at}.histogram is empty, but latencyMs.count is ${r.latencyMs.count}`);
      return;
    }
    try {
      const h = decodeHistogram(r.histogram);
      const total = h.totalCount;
      h.destroy();
      if (total !== r.latencyMs.count)
        problems.push(`${at}.histogram holds ${total} deliveries, but latencyMs.count is ${r.latencyMs.count}`);
    } catch (err) {
      problems.push(`${at}.histogram is not an HDR histogram (${(err as Error).message})`);
    }
  };
  rows.forEach((r, i) => {
    check(r, `models[${i}]`);
    r.repeats?.forEach((rep, k) => check(rep, `models[${i}].repeats[${k}]`));
  });
  return problems;
}

/** Reads and checks a result file; a missing, unreadable or oversized file, or a directory, is bad input too. */
export function readResultFile(file: string): RunResult {
  let text: string;
  try {
    const stat = statSync(file);
    if (stat.isDirectory())
      throw inputError(
        'CB_ERR_RESULT_UNREADABLE',
        `${file} is a directory, not a result file`,
        'name a result JSON in it, e.g. results/<scenario>-<timestamp>.json',
      );
    if (stat.size > MAX_RESULT_BYTES)
      throw inputError(
        'CB_ERR_RESULT_UNREADABLE',
        `${file} is ${formatBytes(stat.size)}, over the ${formatBytes(MAX_RESULT_BYTES)} a result file may be`,
        'check that this is the result JSON `connbench run` wrote',
      );
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code?.startsWith('CB_ERR_')) throw err;
    if (code === 'ENOENT')
      throw inputError(
        'CB_ERR_RESULT_NOT_FOUND',
        `${file} does not exist`,
        'check the path; `connbench run` prints where it wrote the result',
      );
    throw inputError('CB_ERR_RESULT_UNREADABLE', `${file} cannot be read: ${(err as Error).message}`, 'check the path and its permissions');
  }
  return parseResultText(text, file);
}
