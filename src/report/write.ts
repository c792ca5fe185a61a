import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
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

/** results/<scenario>-<timestamp><suffix>.json, with a timestamp safe in file names. */
export function defaultResultPath(scenarioName: string, startedAt: Date, dir = 'results', suffix = ''): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[:]/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const safe = scenarioName.replace(/[^A-Za-z0-9._-]+/g, '-');
  return path.join(dir, `${safe}-${stamp}${suffix}.json`);
}

/**
 * Where `--out` puts a result: the file it names, or the default name inside it when it names a
 * directory (one that exists, or any path ending in a slash); without it, the default under results/.
 */
export function resultPathOf(out: string | undefined, scenarioName: string, startedAt: Date, suffix = ''): string {
  if (out === undefined) return defaultResultPath(scenarioName, startedAt, 'results', suffix);
  return isDirectory(out) ? defaultResultPath(scenarioName, startedAt, out, suffix) : out;
}

function isDirectory(p: string): boolean {
  if (p.endsWith('/') || p.endsWith(path.sep)) return true;
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
