import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
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

/** Reads YAML or JSON text into a plain value; syntax errors carry line and column. */
export function parseScenarioText(text: string, file: string): unknown {
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      const message = (err as Error).message;
      throw inputError(
        'CB_ERR_SCENARIO_SYNTAX',
        `${file}:${jsonErrorPosition(text, message)}: ${message}`,
        'fix the JSON syntax at the line and column shown',
      );
    }
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${file}:${pos ? `${pos.line}:${pos.col}` : '?'}: ${e.message.split('\n')[0]}`;
    });
    throw inputError('CB_ERR_SCENARIO_SYNTAX', lines.join('\n'), 'fix the YAML syntax at the line and column shown');
  }
  return doc.toJS() ?? {};
}

/** "line:col" of a JSON.parse error, from the offset V8 names (or the end of the text); "?" when it names none. */
export function jsonErrorPosition(text: string, message: string): string {
  const at = /at position (\d+)/.exec(message);
  const offset = at ? Number(at[1]) : /end of JSON input/.test(message) ? text.length : undefined;
  if (offset === undefined) return '?';
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

/** Validates a raw scenario; every problem at once, each with its path. */
export function validateScenario(raw: unknown, source = 'scenario'): ScenarioParsed {
  const result = scenarioSchema.safeParse(raw);
  if (result.success) return result.data;
  throw inputError(
    'CB_ERR_SCENARIO_INVALID',
    `${source} is not valid:\n${formatIssues(result.error.issues)
      .map((l) => `  - ${l}`)
      .join('\n')}`,
    'fix the fields named above (`connbench schema` prints the full schema)',
  );
}

export function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const at = issue.path.length ? issue.path.join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(issue.path as (string | number)[]);
      for (const key of issue.keys) {
        const guess = didYouMean(key, known);
        const where = issue.path.length ? `${issue.path.join('.')}.${key}` : key;
        out.push(`${where}: unknown key${guess ? `, did you mean "${guess}"?` : ''}${known.length ? ` (known: ${known.join(', ')})` : ''}`);
      }
    } else if (issue.code === 'invalid_union') {
      // Unions of "value or list" report every branch; the first branch's message is the useful one.
      const first = issue.errors[0]?.[0];
      out.push(`${at}: ${first ? first.message : issue.message}`);
    } else if (issue.code === 'invalid_value') {
      out.push(`${at}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`);
    } else {
      out.push(`${at}: ${issue.message}`);
    }
  }
  return out;
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
    const def = (cur as unknown as { def: { innerType?: z.ZodType; in?: z.ZodType } }).def;
    if (def.innerType) cur = def.innerType;
    else if (def.in) cur = def.in;
    else break;
  }
  return cur;
}

/** Loads, validates and expands one scenario file (or bundled name), with CLI overrides applied. */
export function loadScenario(nameOrPath: string, overrides: Record<string, unknown> = {}): Scenario[] {
  const file = resolveScenarioPath(nameOrPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw inputError('CB_ERR_SCENARIO_READ', `could not read ${file}: ${(err as Error).message}`, 'check the path and its permissions');
  }
  const raw = parseScenarioText(text, file);
  return expandMatrix(validateScenario(applyOverrides(raw, overrides), file));
}

/** Overrides are dotted paths (`workload.rate`) set on the raw document before validation. */
export function applyOverrides(raw: unknown, overrides: Record<string, unknown>): unknown {
  const doc = (typeof raw === 'object' && raw !== null ? structuredClone(raw) : {}) as Record<string, unknown>;
  for (const [dotted, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const keys = dotted.split('.');
    let cur = doc;
    for (const k of keys.slice(0, -1)) {
      if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[keys.at(-1)!] = value;
  }
  return doc;
}
