import type { ModelResult, TimesMs } from './result.js';
import { formatInt, formatMs } from '../util/units.js';

/**
 * The columns about the connections themselves (TLS, connections opened and TIME_WAIT, the
 * intermediary's own cost), shown only when some row of the result has them: `run --wide`, the
 * markdown and the HTML report share them. Each returns text; the renderers lay it out.
 */
export interface TransportColumn {
  head: string;
  cell(r: ModelResult): string;
}

const dash = '-';
const ms = (t: TimesMs | undefined) => (t?.p50 === null || t?.p50 === undefined ? dash : formatMs(t.p50));
const num = (v: number | null | undefined, digits: number) => (v === null || v === undefined ? dash : v.toFixed(digits));
const kib = (v: number | null | undefined) => (v === null || v === undefined ? dash : (v / 1024).toFixed(1));

const TLS: TransportColumn[] = [
  { head: 'tcp ms', cell: (r) => ms(r.connectMs.tcp) },
  { head: 'tls ms', cell: (r) => ms(r.connectMs.tls) },
  { head: 'resumed %', cell: (r) => (r.tls.resumedFraction === null ? dash : (100 * r.tls.resumedFraction).toFixed(0)) },
];

const CHURN: TransportColumn[] = [
  { head: 'conn/s', cell: (r) => num(r.connections.openedPerSec, 1) },
  { head: 'TIME_WAIT srv', cell: (r) => (r.connections.timeWaitServer === null ? dash : formatInt(r.connections.timeWaitServer)) },
  { head: 'TIME_WAIT cli', cell: (r) => (r.connections.timeWaitClient === null ? dash : formatInt(r.connections.timeWaitClient)) },
];

const PROXY: TransportColumn[] = [
  { head: 'proxy', cell: (r) => (r.proxy.kind === 'none' ? dash : r.proxy.kind) },
  { head: 'px KiB/conn', cell: (r) => kib(r.proxy.rssPerConnectionBytes) },
  { head: 'px µs/msg', cell: (r) => num(r.proxy.cpuUsPerMessage, 1) },
  { head: 'px CPU %', cell: (r) => num(r.proxy.cpuPercent, 0) },
];

/** The columns some row of `rows` has figures for, in this order: TLS, connections opened, proxy. */
export function transportColumns(rows: ModelResult[]): TransportColumn[] {
  // Rows of results written before these figures existed have none of them.
  const have = rows.filter((r) => r.tls && r.connections && r.proxy);
  return [
    ...(have.some((r) => r.tls.enabled) ? TLS : []),
    ...(have.some((r) => (r.connections.openedPerSec ?? 0) > 0 || (r.connections.timeWaitServer ?? 0) > 0) ? CHURN : []),
    ...(have.some((r) => r.proxy.kind !== 'none') ? PROXY : []),
  ];
}

/** A row's cells of `columns`; every one a dash for a row without these figures. */
export function transportCells(r: ModelResult, columns: TransportColumn[]): string[] {
  if (!r.tls || !r.connections || !r.proxy) return columns.map(() => dash);
  return columns.map((c) => c.cell(r));
}
