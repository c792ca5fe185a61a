import { z } from 'zod';
import { defineModel } from '../types.js';
import { defineSection } from '../section.js';
import { axis, durationMs } from '../../util/zodUnits.js';
import { formatDurationExact } from '../../util/unitText.js';
import { DEFAULT_MAX_HOLD_MS, PollServer } from './server.js';
import { PollClient } from './client.js';
import { httpModelSecondConnection } from '../http/secondConnection.js';
import { keepAliveAxis, keepAliveInput } from '../http/keepAliveAxis.js';
import { originOf } from '../transport.js';

export interface LongPollOptions {
  /** How long the server holds a poll with nothing new: the empty answer after it is long polling's heartbeat. */
  holdMs: number;
  /** HTTP keep-alive between polls; off: every poll on a new connection, closed by the server after its answer. */
  keepAlive: boolean;
}

const section = defineSection({
  key: 'longPoll',
  schema: z.strictObject({
    hold: axis(durationMs('20s'), 'long-poll: how long the server holds a poll with nothing new (its heartbeat).').default(20_000),
    keepAlive: keepAliveAxis('long-poll'),
  }),
  axes: ['hold', 'keepAlive'],
  resolve: (s): LongPollOptions => ({ holdMs: s.hold, keepAlive: s.keepAlive === 'on' }),
  input: (o) => ({ hold: formatDurationExact(o.holdMs), keepAlive: keepAliveInput(o.keepAlive) }),
});

export const longPollModel = defineModel<LongPollOptions>({
  id: 'long-poll',
  title: 'long polling: the server holds each request until data arrives or the hold ends',
  listener: 'http',
  usesDispatcher: true,
  section,
  // A client may ask to be held for the scenario's hold, or the default cap if that is longer.
  createServer: (o) => new PollServer({ maxHoldMs: Math.max(o.holdMs, DEFAULT_MAX_HOLD_MS) }),
  createClient: (o, h) =>
    new PollClient(o, h, { waitMs: o.modelOptions.holdMs, intervalMs: 0, emptyIsHeartbeat: true, keepAlive: o.modelOptions.keepAlive }),
  endpoints: (at, _settings, o) => [
    { method: 'GET', target: `${originOf('http', at.secure, at.host, at.ports.http)}/poll?cursor=0&wait=${o.holdMs}` },
  ],
  secondConnection: (_o, workload) => httpModelSecondConnection(workload),
  // Peaks of the scale runs (src/runner/memoryPerConnection.ts says how they were taken).
  peakBytesPerConnection: () => ({ serverBytes: 28 * 1024, clientBytes: 36 * 1024 }),
  newConnectionsPerSec: (o, workload) => (o.keepAlive ? 0 : longPollsPerSec(o.holdMs, workload)),
  // Long polling's heartbeat is its empty answer after the hold: the hold is the interval.
  labOptions: (intervalMs) => ({ holdMs: intervalMs, keepAlive: true }),
});

/**
 * At most how many polls a long-poll client makes per second: one per message it receives (a poll
 * is answered as soon as one arrives; several at once make one answer), and one per hold when
 * nothing arrives.
 */
function longPollsPerSec(holdMs: number, w: { pattern: string; ratePerSec: number; roomSize: number }): number {
  const received = w.pattern === 'broadcast' ? w.ratePerSec : w.pattern === 'chat' ? w.ratePerSec * w.roomSize : 0;
  return Math.max(received, 1000 / holdMs);
}
