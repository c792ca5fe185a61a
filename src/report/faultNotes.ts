import type { FaultOutcome, ModelResult } from './result.js';
import { formatInt as int, formatMs } from '../util/units.js';

const at = (f: FaultOutcome) => `${f.fault} at ${(f.atMs / 1000).toFixed(1)} s`;

/** What the fault did, in the runner's words. */
function what(f: FaultOutcome): string {
  switch (f.fault) {
    case 'drop':
      return `${int(f.resetConnections ?? 0)} of ${int(f.openConnections ?? 0)} connections reset`;
    case 'stall':
      return `server stopped ${formatMs(f.faultMs)} ms`;
    case 'restart':
      return `server down ${formatMs(f.faultMs)} ms, its log taken over at seq ${int(f.logHead ?? 0)}`;
    case 'latency':
      return `+${formatMs(f.latencyMs ?? 0)} ms${f.jitterMs ? ` ±${formatMs(f.jitterMs)} ms` : ''} for ${formatMs(f.faultMs)} ms (the proxy was in the path for the whole run)`;
  }
}

/** How the clients came through it. */
function recovery(f: FaultOutcome): string {
  const dropped = f.droppedClients > 0 ? `${int(f.droppedClients)} ${f.droppedClients === 1 ? 'client' : 'clients'} reconnected, ` : '';
  if (f.allBackMs === null || f.caughtUpMs === null) return `${dropped}${int(f.droppedClients - f.backClients)} of them not back in time`;
  return `${dropped}${f.droppedClients > 0 ? `all back after ${formatMs(f.allBackMs)} ms, ` : ''}every message caught up after ${formatMs(f.caughtUpMs)} ms`;
}

/** "websocket (clients 1000)": the model and its matrix point. */
function labelOf(r: ModelResult): string {
  const matrix = Object.entries(r.matrix);
  return `${r.model}${matrix.length ? ` (${matrix.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`;
}

function stormText(r: NonNullable<ModelResult['recovery']>): string {
  const what = `reconnect storm at ${(r.atMs / 1000).toFixed(1)} s dropped ${int(r.droppedClients)} clients`;
  if (r.allBackMs === null || r.caughtUpMs === null) return `${what}; ${int(r.droppedClients - r.backClients)} never came back`;
  return `${what}: all back after ${formatMs(r.allBackMs)} ms, every message caught up after ${formatMs(r.caughtUpMs)} ms`;
}

/** One line per row that had a reconnect storm: how long until every client was back and caught up. Pure. */
export function stormNotes(rows: ModelResult[]): string[] {
  return rows.filter((r) => r.recovery).map((r) => `  ${labelOf(r)}: ${stormText(r.recovery!)}`);
}

/**
 * The notes on what the run did to its clients, as the table prints them: storms, then faults, the
 * details indented under their row. Every report (table, markdown, HTML) shows these. Pure.
 */
export function outcomeNotes(rows: ModelResult[]): string[] {
  return [...stormNotes(rows), ...faultNotes(rows)];
}

/**
 * The run table's notes on faults: per row, its reconnects, loss and duplicates, then one line per
 * fault with what it did and the recovery. Empty without faults. Pure.
 */
export function faultNotes(rows: ModelResult[]): string[] {
  return rows
    .filter((r) => r.faults?.length)
    .flatMap((r) => {
      const label = labelOf(r);
      return [
        `  faults, ${label}: ${int(r.reconnects)} reconnects, ${int(r.messages.lost)} lost, ${int(r.messages.duplicates)} duplicated`,
        ...r.faults!.map((f) => `    ${at(f)}: ${what(f)}; ${recovery(f)}`),
      ];
    });
}
