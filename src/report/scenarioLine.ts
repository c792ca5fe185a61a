import type { RunResult } from './result.js';
import { formatBytes, formatDurationMs } from '../util/units.js';

/** "broadcast 10/s, 128 B payload, 1000 clients, 10s measured, 3 repeats": the workload in a line. */
export function scenarioLine(result: RunResult): string {
  const s = result.scenario;
  const w = s.workload;
  const clients = [...new Set(result.models.map((m) => m.clients.target))];
  const parts = [
    `${w.pattern}${w.pattern === 'idle' ? '' : ` ${w.ratePerSec}/s`}`,
    `${formatBytes(w.payloadBytes)} payload`,
    `${(clients.length ? clients : [s.clients]).join(', ')} clients`,
    `${formatDurationMs(s.durationMs)} measured`,
  ];
  if ((result.repeat ?? 1) > 1) parts.push(`${result.repeat} repeats per model`);
  return parts.join(', ');
}
