import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The one module that writes files. Writes go to a temporary file first and are renamed into
 * place, so an interrupted run never leaves half a JSON document behind.
 */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** results/<scenario>-<timestamp>.json, with a timestamp safe in file names. */
export function defaultResultPath(scenarioName: string, startedAt: Date, dir = 'results'): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[:]/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const safe = scenarioName.replace(/[^A-Za-z0-9._-]+/g, '-');
  return path.join(dir, `${safe}-${stamp}.json`);
}
