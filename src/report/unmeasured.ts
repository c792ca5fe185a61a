import type { ModelResult } from './result.js';
import { metricValue } from './metricPaths.js';
import { samplesFor } from '../metrics/histogram.js';
import { formatInt } from '../util/units.js';
import { rowLabel } from './condition.js';

/**
 * Why a figure is null (not measured) and the notes every renderer prints under its table for
 * the figures it shows as n/a: a percentile of too few deliveries, a figure per connection with
 * none connected, per message with none delivered. Pure.
 */

const PERCENTILES: Record<string, number> = { p50: 50, p90: 90, p99: 99, p999: 99.9 };
const LABELS: Record<string, string> = { p999: 'p99.9' };
const PER_CONNECTION = /PerConnection|PerClient/;
const PER_MESSAGE = /PerMessage$/;

/** The figure's short name in a note: "p99.9", "server.cpuUsPerMessage". */
function labelOf(path: string): string {
  const [head, leaf] = path.split('.') as [string, string | undefined];
  if (head === 'latencyMs' && leaf) return LABELS[leaf] ?? leaf;
  if (head === 'connectMs' && leaf) return `connect ${LABELS[leaf] ?? leaf}`;
  return path;
}

/** The client figures a busy poll leaves unreported. */
const BUSY_POLL_CPU = /^client\.cpu/;

/** Why `row` has no figure at `path`, in a few words. */
export function whyNotMeasured(row: ModelResult, path: string): string {
  if (row.status === 'failed') return `${row.model} did not finish`;
  if (row.client.busyPoll && BUSY_POLL_CPU.test(path)) return "client.busyPoll: the polling used the workers' CPU";
  const transport = transportWhy(row, path);
  if (transport !== undefined) return transport;
  const [head, leaf = ''] = path.split('.');
  const deliveries = row.latencyMs.count;
  if (head === 'latencyMs' && deliveries > 0 && PERCENTILES[leaf] !== undefined)
    return `${formatInt(deliveries)} deliveries in the measured window; a ${labelOf(path)} needs at least ${formatInt(samplesFor(PERCENTILES[leaf]))}`;
  if (head === 'latencyMs' || PER_MESSAGE.test(path)) return 'no deliveries in the measured window';
  if (head === 'connectMs') {
    const connected = row.clients.connected;
    return connected > 0 && PERCENTILES[leaf] !== undefined
      ? `${formatInt(connected)} clients connected; a ${LABELS[leaf] ?? leaf} needs at least ${formatInt(samplesFor(PERCENTILES[leaf]))}`
      : 'no client connected';
  }
  if (path === 'server.kernelPerConnectionBytes' && row.clients.connected > 0) return 'not available on this platform';
  if (PER_CONNECTION.test(path)) return 'no client connected';
  return 'not measured';
}

/** "  websocket: p99.9 n/a (400 deliveries in the measured window; a p99.9 needs at least 1,000)": one line per row with n/a among `paths`; failed rows have their own note. */
export function unmeasuredNotes(rows: ModelResult[], paths: readonly string[]): string[] {
  return rows
    .filter((r) => r.status !== 'failed')
    .flatMap((r) => {
      const byReason = new Map<string, string[]>();
      for (const path of paths) {
        if (metricValue(r, path) !== null || !hasField(r, path)) continue;
        const why = whyNotMeasured(r, path);
        byReason.set(why, [...(byReason.get(why) ?? []), labelOf(path)]);
      }
      return byReason.size === 0
        ? []
        : [`  ${rowLabel(r)}: ${[...byReason].map(([why, labels]) => `${labels.join(', ')} n/a (${why})`).join('; ')}`];
    });
}

/** Whether the row has the field at all (optional ones are absent in older results, and are no "n/a"). */
function hasField(row: ModelResult, path: string): boolean {
  let v: unknown = row;
  for (const seg of path.split('.')) {
    if (typeof v !== 'object' || v === null || !(seg in v)) return false;
    v = (v as Record<string, unknown>)[seg];
  }
  return true;
}

/** Why a transport figure (schemaVersion 5: connectMs.tcp/.tls, tls, connections, proxy) is null; undefined for any other path. */
function transportWhy(row: ModelResult, path: string): string | undefined {
  const [head, sub = '', leaf = ''] = path.split('.');
  // "1 handshake", "3 handshakes", "no handshakes".
  const percentile = (n: number, what: string, p: string) =>
    PERCENTILES[p] !== undefined && n > 0
      ? `${formatInt(n)} ${n === 1 ? what.replace(/s\b/, '') : what}; a ${LABELS[p] ?? p} needs at least ${formatInt(samplesFor(PERCENTILES[p]))}`
      : `no ${what}`;
  if (head === 'connectMs' && sub === 'tcp') return percentile(row.connections?.opened ?? 0, 'connections opened', leaf);
  if ((head === 'connectMs' && sub === 'tls') || head === 'tls') {
    if (!row.tls?.enabled) return 'no TLS';
    const resumed = Math.round(row.tls.handshakes * (row.tls.resumedFraction ?? 0));
    if (sub === 'fullHandshakeMs') return percentile(row.tls.handshakes - resumed, 'full handshakes', leaf);
    if (sub === 'resumedHandshakeMs') return percentile(resumed, 'resumed handshakes', leaf);
    return percentile(row.tls.handshakes, 'handshakes', head === 'connectMs' ? leaf : '');
  }
  if (head === 'connections') {
    if (sub === 'openedPerSec') return 'no measured window';
    return sub === 'timeWaitServer' && row.clock ? 'the server runs on another host' : '/proc/net/tcp could not be read';
  }
  if (head === 'proxy') {
    if (row.proxy?.kind !== 'nginx' && row.proxy?.kind !== 'haproxy') return 'no intermediary connbench ran';
    return sub === 'cpuUsPerMessage' && row.latencyMs.count === 0
      ? 'no deliveries in the measured window'
      : 'its processes could not be sampled';
  }
  return undefined;
}
