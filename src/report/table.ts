import Table from 'cli-table3';
import type { ModelResult, RunResult } from './result.js';
import { formatBytes, formatInt as int, formatMs, orNotMeasured as na } from '../util/units.js';
import { repeatNote, withRange } from './spreadText.js';
import { outcomeNotes } from './faultNotes.js';
import { boundedText, uncertainNote, type BoundedPath } from './uncertain.js';
import { clockMarked, clockNotes } from './clockNotes.js';
import { unmeasuredNotes } from './unmeasured.js';
import { spinNotes } from './spinNote.js';
import { transportCells, transportColumns, transportNotes } from './transportColumns.js';

/** The wide table's figures that carry a bound. */
const WIDE_BOUNDED: readonly BoundedPath[] = ['server.rssPerConnectionBytes', 'server.cpuUsPerMessage', 'client.rssPerClientBytes'];

/**
 * Marks a row whose figures should not be read as the model's, with one character so the default
 * table fits a 100-column terminal; the notes under the table spell the mark out.
 */
const MARKS = { 'client-bound': '*', failed: '!', incomplete: '~' } as const;

function statusOf(r: ModelResult): keyof typeof MARKS | undefined {
  if (r.status === 'failed') return 'failed';
  if (r.status === 'client-bound') return 'client-bound';
  return r.complete ? undefined : 'incomplete';
}

function modelLabel(r: ModelResult): string {
  const s = statusOf(r);
  return s ? `${r.model}${MARKS[s]}` : r.model;
}

/** Word-wraps a note under the table to the 100-column terminal the table is sized for. */
export function wrapNote(text: string, width = 100, indent = '  ', hang = '    '): string {
  const out: string[] = [];
  let line = indent;
  for (const word of text.split(' ')) {
    if (line.trim() && [...line].length + 1 + [...word].length > width) {
      out.push(line);
      line = hang + word;
    } else line += (line.trim() ? ' ' : '') + word;
  }
  out.push(line);
  return out.join('\n');
}

/** The figures the table shows, and the wide table's too: an n/a among them gets a note saying why. */
const SHOWN = ['latencyMs.p50', 'latencyMs.p90', 'latencyMs.p99', 'latencyMs.p999', 'latencyMs.max', 'deliveriesPerSec'];
const SHOWN_WIDE = [
  'server.rssPerConnectionBytes',
  'server.cpuUsPerMessage',
  'server.cpuPercent',
  'wire.serverBytesPerMessage',
  'wire.requestsPerMessage',
  'client.rssPerClientBytes',
  'client.cpuPercent',
];

/** The run table: one row per model (and matrix point). Returns a string; the CLI prints it. */
export function renderRunTable(result: RunResult, opts: { wide?: boolean; color?: boolean } = {}): string {
  const axes = [...new Set(result.models.flatMap((m) => Object.keys(m.matrix)))];
  // With --wide, the transport's columns too, where some row has them (TLS, keep-alive off, a proxy).
  const transport = opts.wide ? transportColumns(result.models) : [];
  const table = newTable(axes, transport, opts);
  for (const r of result.models) table.push(opts.wide ? [...rowCells(r, axes), ...wideCells(r, transport)] : rowCells(r, axes));
  const repeats = repeatNote(result.models);
  const uncertain = opts.wide ? uncertainNote(result.models, WIDE_BOUNDED) : undefined;
  return (
    [
      headerLine(result.scenario),
      table.toString(),
      ...(repeats ? [`  ${repeats}`] : []),
      ...(uncertain ? [wrapNote(uncertain)] : []),
      ...clockNotes(result.models).map((n) => wrapNote(n)),
      ...outcomeNotes(result.models),
      ...statusNotes(result.models),
      ...unmeasuredNotes(result.models, opts.wide ? [...SHOWN, ...SHOWN_WIDE] : SHOWN).map((n) => wrapNote(n.trim())),
      // The server's CPU per message is a --wide column.
      ...(opts.wide ? spinNotes(result.models).map((n) => wrapNote(n)) : []),
      ...transportNotes(result.models, transport).map((n) => wrapNote(n.trim())),
      ...errorLines(result.models),
    ].join('\n') + '\n'
  );
}

/** `default: broadcast 10/s 128 B payload, 10s measured; latency in ms`: the line above the table. */
function headerLine(s: RunResult['scenario']): string {
  return `${s.name}: ${s.workload.pattern} ${s.workload.pattern === 'idle' ? '' : `${s.workload.ratePerSec}/s `}${formatBytes(s.workload.payloadBytes)} payload, ${s.durationMs / 1000}s measured; latency in ms`;
}

/** The empty table with its head: the matrix axes, the default columns, and with --wide the resource and transport ones. */
function newTable(axes: string[], transport: ReturnType<typeof transportColumns>, opts: { wide?: boolean; color?: boolean }): Table.Table {
  const head = [...axes, 'model', 'conn', 'delivered', 'lost', 'dup', 'p50', 'p90', 'p99', 'p99.9', 'max', 'msg/s'];
  if (opts.wide)
    head.push('srv KiB/conn', 'srv µs/msg', 'srv CPU %', 'B/msg', 'req/msg', 'cli KiB/conn', 'cli CPU %', ...transport.map((c) => c.head));
  return new Table({
    head,
    style: { head: opts.color ? ['cyan'] : [], border: opts.color ? ['grey'] : [], compact: true },
    colAligns: [...axes.map(() => 'right' as const), 'left', ...head.slice(axes.length + 1).map(() => 'right' as const)],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
}

/** A row's cells in the default columns. */
function rowCells(r: ModelResult, axes: string[]): string[] {
  return [
    ...axes.map((a) => (r.matrix[a] === undefined ? '' : String(r.matrix[a]))),
    modelLabel(r),
    `${r.clients.connected}/${r.clients.target}`,
    int(r.messages.delivered),
    int(r.messages.lost),
    int(r.messages.duplicates),
    // With --repeat: the figure, then [min–max] over the repeats; across hosts, ‡ below the clock bound.
    clockMarked(r, r.latencyMs.p50, withRange(r, 'latencyMs.p50', formatMs)),
    clockMarked(r, r.latencyMs.p90, formatMs(r.latencyMs.p90)),
    clockMarked(r, r.latencyMs.p99, withRange(r, 'latencyMs.p99', formatMs)),
    clockMarked(r, r.latencyMs.p999, withRange(r, 'latencyMs.p999', formatMs)),
    clockMarked(r, r.latencyMs.max, formatMs(r.latencyMs.max)),
    na(r.deliveriesPerSec, int),
  ];
}

/** A row's cells in the --wide columns: resources in KiB, µs and %, then the transport's. */
function wideCells(r: ModelResult, transport: ReturnType<typeof transportColumns>): string[] {
  return [
    bounded(r, 'server.rssPerConnectionBytes', (v) => (v / 1024).toFixed(1)),
    bounded(r, 'server.cpuUsPerMessage', (v) => v.toFixed(1)),
    na(r.server.cpuPercent, (v) => v.toFixed(0)),
    withRange(r, 'wire.serverBytesPerMessage', (v) => v.toFixed(0)),
    na(r.wire.requestsPerMessage, (v) => v.toFixed(2)),
    boundedText(r, 'client.rssPerClientBytes', (v) => (v / 1024).toFixed(1)),
    na(r.client.cpuPercent, (v) => v.toFixed(0)),
    ...transportCells(r, transport),
  ];
}

/** One note per marked row: its mark, its status and why. */
function statusNotes(models: ModelResult[]): string[] {
  return models
    .filter((r) => statusOf(r) !== undefined)
    .map((r) => wrapNote(`${modelLabel(r)} ${statusOf(r)}${r.statusReason ? `: ${r.statusReason}` : ''}`));
}

/** `  sse errors: CB_ERR_X×2, …`: the error counts of each row that finished. */
function errorLines(models: ModelResult[]): string[] {
  return models
    .filter((r) => Object.keys(r.errors).length > 0 && !r.error) // a row that did not finish states its error in the note above
    .map(
      (r) =>
        `  ${r.model} errors: ${Object.entries(r.errors)
          .map(([k, v]) => `${k}×${v}`)
          .join(', ')}`,
    );
}

/** A bounded figure (or its upper end, marked), with its range over repeats. */
function bounded(r: ModelResult, path: BoundedPath, format: (v: number) => string): string {
  const text = boundedText(r, path, format);
  const ranged = withRange(r, path, format);
  const bracket = ranged.indexOf(' [');
  return bracket === -1 ? text : text + ranged.slice(bracket);
}
