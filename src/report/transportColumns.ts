import type { ModelResult, TimesMs } from './result.js';
import { NOT_MEASURED, formatInt, formatMs, orNotMeasured } from '../util/units.js';
import { samplesFor } from '../metrics/histogram.js';
import { rowLabel } from './condition.js';

/**
 * The columns about the connections themselves (TLS, connections opened and TIME_WAIT, the
 * intermediary's own cost), shown only when some row of the result has them: `run --wide`, the
 * markdown and the HTML report share them. Each returns text; the renderers lay it out. A figure
 * without samples is n/a, as every other figure (src/report/unmeasured.ts), and `transportNotes`
 * says why under the table.
 */
export interface TransportColumn {
  head: string;
  cell(r: ModelResult): string;
  /** Why the cell is n/a for this row (only asked when it is). */
  why(r: ModelResult): string;
}

/** Reasons that hold for whole kinds of rows, told once under the table rather than row by row. */
const NO_TLS = 'in rows without TLS';
const NO_PROXY = 'in rows without an intermediary connbench ran';

const p50 = (t: TimesMs | undefined) => formatMs(t?.p50 ?? null);
const num = (v: number | null, digits: number) => orNotMeasured(v, (x) => x.toFixed(digits));
const kib = (v: number | null) => orNotMeasured(v, (x) => (x / 1024).toFixed(1));
const count = (v: number | null) => orNotMeasured(v, formatInt);
const tooFew = (n: number, one: string, many: string) => `${formatInt(n)} ${n === 1 ? one : many}; a p50 needs at least ${samplesFor(50)}`;

const TLS: TransportColumn[] = [
  {
    head: 'tcp ms',
    cell: (r) => p50(r.connectMs.tcp),
    why: (r) =>
      r.connections.opened > 0 ? tooFew(r.connections.opened, 'connection opened', 'connections opened') : 'no connection opened',
  },
  {
    head: 'tls ms',
    cell: (r) => p50(r.connectMs.tls),
    why: (r) => (!r.tls.enabled ? NO_TLS : r.tls.handshakes > 0 ? tooFew(r.tls.handshakes, 'handshake', 'handshakes') : 'no handshake'),
  },
  {
    head: 'resumed %',
    cell: (r) => orNotMeasured(r.tls.resumedFraction, (f) => (100 * f).toFixed(0)),
    why: (r) => (r.tls.enabled ? 'no handshake' : NO_TLS),
  },
];

/** TIME_WAIT is read from /proc/net/tcp; across hosts the server's side is on the other one. */
const timeWaitWhy = (side: 'server' | 'client') => (r: ModelResult) =>
  side === 'server' && r.clock ? 'the server runs on another host' : '/proc/net/tcp could not be read';

const CHURN: TransportColumn[] = [
  { head: 'conn/s', cell: (r) => num(r.connections.openedPerSec, 1), why: () => 'no measured window' },
  { head: 'TIME_WAIT srv', cell: (r) => count(r.connections.timeWaitServer), why: timeWaitWhy('server') },
  { head: 'TIME_WAIT cli', cell: (r) => count(r.connections.timeWaitClient), why: timeWaitWhy('client') },
];

/** The proxy's figures exist only for one connbench started and sampled. */
const proxyWhy = (perMessage: boolean) => (r: ModelResult) =>
  r.proxy.kind === 'none' || r.proxy.kind === 'via'
    ? NO_PROXY
    : perMessage && r.latencyMs.count === 0
      ? 'no deliveries in the measured window'
      : 'its processes could not be sampled';

const PROXY: TransportColumn[] = [
  { head: 'proxy', cell: (r) => r.proxy.kind, why: () => '' },
  { head: 'px KiB/conn', cell: (r) => kib(r.proxy.rssPerConnectionBytes), why: proxyWhy(false) },
  { head: 'px µs/msg', cell: (r) => num(r.proxy.cpuUsPerMessage, 1), why: proxyWhy(true) },
  { head: 'px CPU %', cell: (r) => num(r.proxy.cpuPercent, 0), why: proxyWhy(false) },
];

const hasTransport = (r: ModelResult) => Boolean(r.tls && r.connections && r.proxy);

/** The columns some row of `rows` has figures for, in this order: TLS, connections opened, proxy. */
export function transportColumns(rows: ModelResult[]): TransportColumn[] {
  // Rows read from results older than these figures have them as not measured.
  const have = rows.filter(hasTransport);
  return [
    ...(have.some((r) => r.tls.enabled) ? TLS : []),
    ...(have.some((r) => (r.connections.openedPerSec ?? 0) > 0 || (r.connections.timeWaitServer ?? 0) > 0) ? CHURN : []),
    ...(have.some((r) => r.proxy.kind !== 'none') ? PROXY : []),
  ];
}

/** A row's cells of `columns`; n/a for a row without these figures. */
export function transportCells(r: ModelResult, columns: TransportColumn[]): string[] {
  if (!hasTransport(r)) return columns.map(() => NOT_MEASURED);
  return columns.map((c) => c.cell(r));
}

/**
 * Why the transport columns show n/a: once for what holds for whole kinds of rows ("tls ms,
 * resumed % n/a in rows without TLS"), then one line per row for the rest ("  sse: tls ms n/a (1
 * handshakes; a p50 needs at least 2)"). Rows that did not finish have their own note. Pure.
 */
export function transportNotes(rows: ModelResult[], columns: TransportColumn[]): string[] {
  const shared = new Map<string, Set<string>>();
  const perRow: string[] = [];
  for (const r of rows.filter((x) => x.status !== 'failed' && hasTransport(x))) {
    const byReason = new Map<string, string[]>();
    for (const c of columns) {
      if (c.cell(r) !== NOT_MEASURED) continue;
      const why = c.why(r);
      if (why === NO_TLS || why === NO_PROXY) shared.set(why, (shared.get(why) ?? new Set()).add(c.head));
      else byReason.set(why, [...(byReason.get(why) ?? []), c.head]);
    }
    if (byReason.size > 0)
      perRow.push(`  ${rowLabel(r)}: ${[...byReason].map(([why, heads]) => `${heads.join(', ')} n/a (${why})`).join('; ')}`);
  }
  return [...[...shared].map(([why, heads]) => `  ${[...heads].join(', ')} n/a ${why}`), ...perRow];
}
