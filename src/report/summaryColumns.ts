import type { ModelResult } from './result.js';
import { formatBytes, formatInt as int, formatMs, formatUs as us } from '../util/units.js';
import { rangeParts } from './spreadText.js';
import { boundedText, type BoundedPath } from './uncertain.js';
import { clockMarked } from './clockNotes.js';

/**
 * The columns the markdown and HTML reports share after the model's name: each cell is a value,
 * its range over repeats when there are any, and whether it should catch the eye.
 */
export interface SummaryCell {
  value: string;
  range?: string;
  alert?: boolean;
}

export const SUMMARY_HEAD = [
  'status',
  'connected',
  'delivered',
  'lost',
  'p50 ms',
  'p99 ms',
  'p99.9 ms',
  'max ms',
  'memory/conn',
  'CPU µs/msg',
  'bytes/msg',
];

/** The figures the summary shows: an n/a among them gets a note saying why (src/report/unmeasured.ts). */
export const SUMMARY_PATHS = [
  'latencyMs.p50',
  'latencyMs.p99',
  'latencyMs.p999',
  'latencyMs.max',
  'server.rssPerConnectionBytes',
  'server.cpuUsPerMessage',
  'wire.serverBytesPerMessage',
];

export function summaryCells(r: ModelResult): SummaryCell[] {
  return [
    r.status === 'ok' ? { value: r.complete ? 'ok' : 'incomplete', alert: !r.complete } : { value: r.status, alert: true },
    { value: `${int(r.clients.connected)}/${int(r.clients.target)}` },
    { value: int(r.messages.delivered) },
    { value: int(r.messages.lost), alert: r.messages.lost > 0 },
    latencyCell(r, 'p50'),
    latencyCell(r, 'p99'),
    latencyCell(r, 'p999'),
    { value: clockMarked(r, r.latencyMs.max, formatMs(r.latencyMs.max)) },
    boundedParts(r, 'server.rssPerConnectionBytes', formatBytes),
    boundedParts(r, 'server.cpuUsPerMessage', us),
    rangeParts(r, 'wire.serverBytesPerMessage', (v) => v.toFixed(0)),
  ];
}

/** The figures the summary shows with their bounds (uncertainNote explains the mark). */
export const SUMMARY_BOUNDED: readonly BoundedPath[] = ['server.rssPerConnectionBytes', 'server.cpuUsPerMessage'];

function boundedParts(r: ModelResult, path: BoundedPath, format: (v: number) => string): SummaryCell {
  return { ...rangeParts(r, path, format), value: boundedText(r, path, format) };
}

/** A latency percentile, marked ‡ when it is below the row's clock bound (a server on another host). */
function latencyCell(r: ModelResult, p: 'p50' | 'p99' | 'p999'): SummaryCell {
  const cell = rangeParts(r, `latencyMs.${p}`, formatMs);
  return { ...cell, value: clockMarked(r, r.latencyMs[p], cell.value) };
}
