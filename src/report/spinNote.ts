import type { ModelResult } from './result.js';
import { formatUs } from '../util/units.js';
import { rowLabel } from './condition.js';
import { isUncertain } from './uncertain.js';

/** A spin that is at least this share of the server's CPU per message gets a note. */
export const SPIN_NOTE_SHARE = 0.25;

/**
 * A note for each row whose server CPU per message is largely the publisher's spin before each
 * message's instant (`server.publishSpinCpuUsPerMessage`): connbench's own waiting, which weighs
 * with few deliveries per message and low rates and which a real server does not spend, so that
 * a reader does not take it for the model's cost. Pure.
 */
export function spinNotes(rows: ModelResult[]): string[] {
  const notes: string[] = [];
  for (const r of rows) {
    const cpu = r.server.cpuUsPerMessage;
    const spin = r.server.publishSpinCpuUsPerMessage;
    if (r.status === 'failed' || cpu === null || !(cpu > 0) || spin === null || spin === undefined || spin < SPIN_NOTE_SHARE * cpu)
      continue;
    // Where the table prints only the CPU figure's upper end, so does the note.
    const upTo = isUncertain(r, 'server.cpuUsPerMessage') ? (r.server.cpuUsPerMessageBound ?? 0) : 0;
    const text = (us: number) => (upTo > 0 ? `at most ${formatUs(us + upTo)}` : formatUs(us));
    notes.push(
      `${rowLabel(r)}: ${formatUs(spin)} µs of the server's ${text(cpu)} µs CPU per message is the publisher spinning to send ` +
        `each message on time (connbench's own wait, not the model's: ${text(Math.max(0, cpu - spin))} µs without it)`,
    );
  }
  return notes;
}
