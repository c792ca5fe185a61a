import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { inputError } from '../util/errors.js';
import { formatBytes, formatInt } from '../util/units.js';

/**
 * A scenario file from disk to a plain mapping, refusing what is not one before it costs anything:
 * a file over the size limit is not read past it (a device that never ends included), bytes that
 * are not text are not parsed, nesting deeper than a scenario needs is refused before the YAML
 * parser sees it (deep flow nesting exhausts it beyond recovery), aliases that expand too far are
 * stopped, and a document that is not a mapping is not a scenario.
 */

/** The largest scenario file read: every bundled one is under 4 KiB. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
/** Deeper `[`/`{` nesting, or deeper compact `- - -` sequences, than any scenario has. */
const MAX_NESTING = 64;
/** Alias expansions YAML may make (the yaml package's own default, stated here on purpose). */
const MAX_ALIAS_COUNT = 100;
/** YAML errors listed at once; a file of garbage has thousands. */
const MAX_SYNTAX_ERRORS = 5;

const HINT = 'a scenario is a YAML or JSON mapping of fields, such as `name: mine` (`connbench schema` lists them)';

/** At most MAX_SCENARIO_BYTES + 1 bytes of `file`: one byte more says it is over the limit. */
export function readScenarioBytes(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw inputError('CB_ERR_SCENARIO_READ', `could not read ${file}: ${(err as Error).message}`, 'check the path and its permissions');
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory())
      throw inputError(
        'CB_ERR_SCENARIO_READ',
        `${file} is a directory, not a scenario file`,
        'name a YAML or JSON file in it, or a bundled scenario',
      );
    if (stat.isFile() && stat.size > MAX_SCENARIO_BYTES) throw tooLarge(file, stat.size);
    const buf = Buffer.alloc(MAX_SCENARIO_BYTES + 1);
    let got = 0;
    for (let n = 1; n > 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, null);
    if (got > MAX_SCENARIO_BYTES) throw tooLarge(file);
    return buf.subarray(0, got);
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('CB_ERR_')) throw err;
    throw inputError('CB_ERR_SCENARIO_READ', `could not read ${file}: ${(err as Error).message}`, 'check the path and its permissions');
  } finally {
    closeSync(fd);
  }
}

function tooLarge(file: string, sizeBytes?: number) {
  return inputError(
    'CB_ERR_SCENARIO_TOO_LARGE',
    `${file} is ${sizeBytes === undefined ? 'longer than' : `${formatInt(sizeBytes)} bytes, over`} the ${formatInt(MAX_SCENARIO_BYTES)} bytes (${formatBytes(MAX_SCENARIO_BYTES)}) a scenario file may be`,
    'a scenario is a few lines of YAML: check that this is the file you meant',
  );
}

/** The file's bytes as text, or an error when they are not UTF-8 text. */
export function scenarioText(bytes: Buffer, file: string): string {
  const notText = (why: string) => inputError('CB_ERR_SCENARIO_INVALID', `${file} is not a scenario: ${why}`, HINT);
  if (bytes.includes(0)) throw notText('it holds NUL bytes, so it is a binary file, not YAML or JSON text');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw notText('its bytes are not UTF-8 text');
  }
}

/** How deep `text` nests flow collections and compact sequences, roughly: quoted strings and comments are skipped. Pure. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let quote = '';
  let atLineStart = true;
  let dashes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\n') quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    else if (c === '[' || c === '{') deepest = Math.max(deepest, ++depth);
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
    if (c === '\n') {
      atLineStart = true;
      dashes = 0;
    } else if (atLineStart && c === '-' && (text[i + 1] === ' ' || text[i + 1] === undefined)) deepest = Math.max(deepest, ++dashes);
    else if (c !== ' ') atLineStart = false;
  }
  return deepest;
}

/** Reads YAML or JSON text into a plain value; syntax errors carry line and column. */
export function parseScenarioText(text: string, file: string): unknown {
  const depth = nestingDepth(text);
  if (depth > MAX_NESTING)
    throw inputError(
      'CB_ERR_SCENARIO_SYNTAX',
      `${file} nests lists or mappings ${depth} deep; a scenario needs a few levels, and ${MAX_NESTING} is the most read`,
      HINT,
    );
  return file.endsWith('.json') ? parseJson(text, file) : parseYaml(text, file);
}

function parseJson(text: string, file: string): unknown {
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

function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((e) => {
      const pos = e.linePos?.[0];
      return `${file}:${pos ? `${pos.line}:${pos.col}` : '?'}: ${e.message.split('\n')[0]}`;
    });
    if (doc.errors.length > MAX_SYNTAX_ERRORS) lines.push(`… and ${doc.errors.length - MAX_SYNTAX_ERRORS} more`);
    throw inputError('CB_ERR_SCENARIO_SYNTAX', lines.join('\n'), 'fix the YAML syntax at the line and column shown');
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw inputError(
      'CB_ERR_SCENARIO_SYNTAX',
      `${file}: its YAML aliases expand more than ${MAX_ALIAS_COUNT} times (${(err as Error).message})`,
      'write the values out, or use each anchor (&name) only a few times',
    );
  }
}

/** "line:col" of a JSON.parse error, from the offset V8 names (or the end of the text); "?" when it names none. */
export function jsonErrorPosition(text: string, message: string): string {
  const at = /at position (\d+)/.exec(message);
  const offset = at ? Number(at[1]) : /end of JSON input/.test(message) ? text.length : undefined;
  if (offset === undefined) return '?';
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

/** The parsed document as a scenario's fields: it must be a mapping. */
export function scenarioMapping(value: unknown, file: string): Record<string, unknown> {
  if (value === null || value === undefined)
    throw inputError(
      'CB_ERR_SCENARIO_INVALID',
      `${file} is empty: a scenario is a mapping of fields`,
      `${HINT}; \`{}\` takes every default`,
    );
  if (typeof value !== 'object' || Array.isArray(value)) {
    const kind = Array.isArray(value) ? 'a list' : `a ${typeof value} (${JSON.stringify(value).slice(0, 40)})`;
    throw inputError('CB_ERR_SCENARIO_INVALID', `${file} is not a scenario: its top level is ${kind}, not a mapping of fields`, HINT);
  }
  return value as Record<string, unknown>;
}
