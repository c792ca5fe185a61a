import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inputError } from '../util/errors.js';

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

/**
 * `--out PATH` checked before anything runs: a directory (as resultPathOf reads it) or the
 * directory of a file, in which this process can make a file.
 */
export function checkOutPath(flag: string, given: string): void {
  if (isDirectory(given)) checkWritable(flag, given, given);
  else checkWritable(flag, given, path.dirname(path.resolve(given)), given);
}

/**
 * A file flag of a command that runs `scenarios` scenarios: each would write the one file it names,
 * the last over the others, so that is refused before anything runs. `--out` may name a directory
 * instead (one file per scenario in it); `directoryAllowed` says whether the hint may offer that.
 */
export function checkOneScenarioPerFile(flag: string, given: string, scenarios: number, directoryAllowed: boolean): void {
  if (scenarios <= 1 || (directoryAllowed && isDirectory(given))) return;
  throw outError(
    flag,
    given,
    `${scenarios} scenarios would each write this one file, and only the last would be kept`,
    directoryAllowed
      ? `name a directory to get one file per scenario (${flag} results/), or run the scenarios one at a time`
      : `run the scenarios one at a time, each with its own ${flag} file`,
  );
}

/** A file flag (`--html FILE`, `--markdown FILE`) checked before anything runs; `example` names a file for the hint. */
export function writableFile(flag: string, given: string, example: string): string {
  if (existsSync(given) && statSync(given).isDirectory())
    throw outError(flag, given, `${given} is a directory`, `name a file, e.g. ${flag} ${path.join(given, example)}`);
  checkWritable(flag, given, path.dirname(path.resolve(given)), given);
  return given;
}

/**
 * Whether a file can be made in `dir` (created when missing, as writeFileAtomic does): a probe file
 * is made in the nearest directory that exists and removed, because permission bits do not say
 * (root passes them on /proc, which takes no file).
 */
function checkWritable(flag: string, given: string, dir: string, file?: string): void {
  let nearest = path.resolve(dir);
  while (!existsSync(nearest)) nearest = path.dirname(nearest);
  if (!statSync(nearest).isDirectory()) throw outError(flag, given, `${nearest} is a file, not a directory`);
  if (file && existsSync(file) && statSync(file).isDirectory()) throw outError(flag, given, `${file} is a directory`);
  const probe = path.join(nearest, `.connbench-write-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (err) {
    throw outError(flag, given, `no file can be made in ${nearest} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function outError(flag: string, given: string, why: string, hint?: string) {
  return inputError(
    'CB_ERR_BAD_OUT',
    `${flag} ${JSON.stringify(given)}: cannot write there: ${why}`,
    hint ?? `name a file in a directory you can write, or a directory for the default file name (${flag} results/)`,
  );
}
