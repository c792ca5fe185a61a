import { z } from 'zod';
import { defineModel } from '../types.js';
import { defineSection } from '../section.js';
import { axis, durationMs } from '../../util/zodUnits.js';
import { formatDurationExact } from '../../util/unitText.js';
import { DEFAULT_MAX_HOLD_MS, PollServer } from './server.js';
import { PollClient } from './client.js';
import { httpModelSecondConnection } from '../http/secondConnection.js';

export interface LongPollOptions {
  /** How long the server holds a poll with nothing new: the empty answer after it is long polling's heartbeat. */
  holdMs: number;
}

const section = defineSection({
  key: 'longPoll',
  schema: z.strictObject({
    hold: axis(durationMs('20s'), 'long-poll: how long the server holds a poll with nothing new (its heartbeat).').default(20_000),
  }),
  axes: ['hold'],
  resolve: (s): LongPollOptions => ({ holdMs: s.hold }),
  input: (o) => ({ hold: formatDurationExact(o.holdMs) }),
});

export const longPollModel = defineModel<LongPollOptions>({
  id: 'long-poll',
  title: 'long polling: the server holds each request until data arrives or the hold ends',
  listener: 'http',
  usesDispatcher: true,
  section,
  // A client may ask to be held for the scenario's hold, or the default cap if that is longer.
  createServer: (o) => new PollServer({ maxHoldMs: Math.max(o.holdMs, DEFAULT_MAX_HOLD_MS) }),
  createClient: (o, h) => new PollClient(o, h, { waitMs: o.modelOptions.holdMs, intervalMs: 0, emptyIsHeartbeat: true }),
  endpoints: (at, _settings, o) => [{ method: 'GET', target: `http://${at.host}:${at.ports.http}/poll?cursor=0&wait=${o.holdMs}` }],
  secondConnection: (_o, workload) => httpModelSecondConnection(workload),
  // Peaks of the scale runs (src/runner/memoryPerConnection.ts says how they were taken).
  peakBytesPerConnection: () => ({ serverBytes: 28 * 1024, clientBytes: 36 * 1024 }),
  // Long polling's heartbeat is its empty answer after the hold: the hold is the interval.
  labOptions: (intervalMs) => ({ holdMs: intervalMs }),
});
