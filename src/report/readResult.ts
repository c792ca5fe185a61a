import { readFileSync } from 'node:fs';
import { READABLE_SCHEMA_VERSIONS, SCHEMA_VERSION, type RunResult } from './result.js';
import { inputError } from '../util/errors.js';

/**
 * Checks that text is a result JSON this version understands. Every problem names the file, so a
 * CI log says which of the two compared files is at fault.
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
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw inputError(
      'CB_ERR_RESULT_INVALID',
      `${file} is JSON but not a connbench result (expected an object)`,
      'pass the result JSON that `connbench run` wrote',
    );
  }
  const v = value as Record<string, unknown>;
  if (typeof v.schemaVersion !== 'number' || !READABLE_SCHEMA_VERSIONS.includes(v.schemaVersion)) {
    throw inputError(
      'CB_ERR_RESULT_SCHEMA',
      `${file} has schemaVersion ${JSON.stringify(v.schemaVersion ?? null)}; this connbench reads schemaVersion ${READABLE_SCHEMA_VERSIONS.slice(0, -1).join(', ')} and ${SCHEMA_VERSION} (writes ${SCHEMA_VERSION})`,
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
  const problems: string[] = [];
  if (!Array.isArray(v.models)) problems.push('"models" is not a list');
  else
    v.models.forEach((m: unknown, i) => {
      const row = m as Record<string, unknown> | null;
      if (typeof row !== 'object' || row === null) return problems.push(`models[${i}] is not an object`);
      if (typeof row.model !== 'string') problems.push(`models[${i}].model is missing`);
      if (typeof row.histogram !== 'string') problems.push(`models[${i}].histogram is missing`);
      if (
        typeof row.latencyMs !== 'object' ||
        typeof row.messages !== 'object' ||
        typeof row.server !== 'object' ||
        typeof row.wire !== 'object'
      )
        problems.push(`models[${i}] lacks latencyMs, messages, server or wire`);
    });
  if (typeof v.scenario !== 'object' || v.scenario === null) problems.push('"scenario" is missing');
  if (problems.length > 0) {
    throw inputError(
      'CB_ERR_RESULT_INVALID',
      `${file} is not a complete connbench result: ${problems.slice(0, 5).join('; ')}`,
      'pass the result JSON that `connbench run` wrote, unedited',
    );
  }
  return value as RunResult;
}

/** Reads and checks a result file; a missing or unreadable file is bad input too. */
export function readResultFile(file: string): RunResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
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
