import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { z } from 'zod';
import { parseScenarioText, readScenarioBytes, scenarioMapping, scenarioText } from './scenarioFile.js';
import { scenarioSchema, type ScenarioParsed } from './schema.js';
import { expandMatrix } from './matrix.js';
import type { Scenario } from './schema.js';
import { inputError } from '../util/errors.js';
import { didYouMean } from '../util/didYouMean.js';

/** The folder of bundled scenarios (scenarios/ at the package root). */
export const BUNDLED_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

export function bundledNames(): string[] {
  if (!existsSync(BUNDLED_DIR)) return [];
  return readdirSync(BUNDLED_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** A name of a bundled scenario or a path to a YAML/JSON file → the file's path. */
export function resolveScenarioPath(nameOrPath: string): string {
  if (existsSync(nameOrPath)) return nameOrPath;
  const bundled = path.join(BUNDLED_DIR, `${nameOrPath}.yaml`);
  if (!/[\\/.]/.test(nameOrPath) && existsSync(bundled)) return bundled;
  const names = bundledNames();
  const guess = didYouMean(nameOrPath, names);
  throw inputError(
    'CB_ERR_SCENARIO_NOT_FOUND',
    `scenario file "${nameOrPath}" does not exist and is not a bundled scenario`,
    `${guess ? `did you mean "${guess}"? ` : ''}bundled scenarios: ${names.join(', ')} (see \`connbench list\`)`,
  );
}

/**
 * Validates a raw scenario; every problem at once, each with its path. `setBy` names the flag that
 * set a path (`workload.payload` → `--payload "10GiB"`), so a problem with it names the flag too.
 */
export function validateScenario(raw: unknown, source = 'scenario', setBy: Record<string, string> = {}): ScenarioParsed {
  const result = scenarioSchema.safeParse(raw);
  if (result.success) return result.data;
  throw inputError(
    'CB_ERR_SCENARIO_INVALID',
    `${source} is not valid:\n${formatIssues(result.error.issues, setBy)
      .map((l) => `  - ${l}`)
      .join('\n')}`,
    'fix the fields named above (`connbench schema` prints the full schema)',
  );
}

export function formatIssues(issues: z.core.$ZodIssue[], setBy: Record<string, string> = {}): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const dotted = issue.path.join('.');
    const flag = Object.keys(setBy).find((k) => dotted === k || dotted.startsWith(`${k}.`));
    const at = `${issue.path.length ? dotted : '(top level)'}${flag ? ` (set by ${setBy[flag]})` : ''}`;
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(issue.path as (string | number)[]);
      for (const key of issue.keys) {
        const guess = didYouMean(key, known);
        const where = issue.path.length ? `${issue.path.join('.')}.${key}` : key;
        out.push(`${where}: unknown key${guess ? `, did you mean "${guess}"?` : ''}${known.length ? ` (known: ${known.join(', ')})` : ''}`);
      }
    } else if (issue.code === 'invalid_union') {
      out.push(`${at}: ${unionMessage(issue)}`);
    } else if (issue.code === 'invalid_value') {
      out.push(`${at}: ${valueMessage(issue.values)}`);
    } else {
      out.push(`${at}: ${issue.message}`);
    }
  }
  return out;
}

const valueMessage = (values: readonly unknown[]) => `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;

/**
 * Unions report every branch. A "value or list" union's first branch says it best; a union of a
 * section and its shorthand (`tls: on`) fails its first branch on the type alone, so the message
 * comes from the first branch that failed on something other than the type of the whole value.
 */
function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  const firsts = issue.errors.map((branch) => branch[0]).filter((i): i is z.core.$ZodIssue => i !== undefined);
  const telling = firsts.find((i) => !(i.code === 'invalid_type' && i.path.length === 0)) ?? firsts[0];
  if (!telling) return issue.message;
  return telling.code === 'invalid_union' ? unionMessage(telling) : telling.message;
}

function knownKeysAt(p: (string | number)[]): string[] {
  let shape: z.ZodType = scenarioSchema;
  for (const key of p) {
    const inner = unwrap(shape);
    if (inner instanceof z.ZodObject) shape = inner.shape[key as string] as z.ZodType;
    else if (inner instanceof z.ZodArray && typeof key === 'number') shape = inner.element as z.ZodType;
    else return [];
    if (!shape) return [];
  }
  const inner = unwrap(shape);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape).filter((k) => k !== '$schema') : [];
}

function unwrap(t: z.ZodType): z.ZodType {
  let cur: z.ZodType = t;
  for (let i = 0; i < 5; i++) {
    const def = (cur as unknown as { def: { innerType?: z.ZodType; in?: z.ZodType; options?: z.ZodType[] } }).def;
    if (def.innerType) cur = def.innerType;
    else if (def.in) cur = def.in;
    // A section with a shorthand (`tls: on`): its keys are the object's.
    else if (def.options?.some((o) => o instanceof z.ZodObject)) cur = def.options.find((o) => o instanceof z.ZodObject)!;
    else break;
  }
  return cur;
}

export { parseScenarioText, jsonErrorPosition } from './scenarioFile.js';

/**
 * Loads, validates and expands one scenario file (or bundled name), with CLI overrides applied;
 * `setBy` names the flag behind each override (see validateScenario).
 */
export function loadScenario(nameOrPath: string, overrides: Record<string, unknown> = {}, setBy: Record<string, string> = {}): Scenario[] {
  const file = resolveScenarioPath(nameOrPath);
  const raw = scenarioMapping(parseScenarioText(scenarioText(readScenarioBytes(file), file), file), file);
  return expandMatrix(validateScenario(applyOverrides(raw, overrides), file, setBy)).map((p) => withFilesFrom(path.dirname(file), p));
}

/** Certificate files named relative to the scenario file, wherever connbench was started from. */
function withFilesFrom(dir: string, p: Scenario): Scenario {
  const at = (f: string | null) => (f === null ? null : path.resolve(dir, f));
  return { ...p, tls: { ...p.tls, certFile: at(p.tls.certFile), keyFile: at(p.tls.keyFile), caFile: at(p.tls.caFile) } };
}

/**
 * Overrides are dotted paths (`workload.rate`) set on the raw document before validation. Only the
 * mappings along each path are copied: the document is the caller's, and may nest deep elsewhere.
 */
export function applyOverrides(raw: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const doc = { ...raw };
  for (const [dotted, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const keys = dotted.split('.');
    let cur = doc;
    for (const k of keys.slice(0, -1)) {
      const next = cur[k];
      cur = cur[k] = typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
    }
    cur[keys.at(-1)!] = value;
  }
  return doc;
}
