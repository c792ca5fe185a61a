import { z } from 'zod';
import { defineModel } from '../types.js';
import { defineSection } from '../section.js';
import { axis, durationMs } from '../../util/zodUnits.js';
import { formatDurationExact } from '../../util/unitText.js';
import { formatDurationMs } from '../../util/units.js';
import { DEFAULT_MAX_EVERY_MS, PollServer } from '../long-poll/server.js';
import { PollClient } from '../long-poll/client.js';
import { httpModelSecondConnection } from '../http/secondConnection.js';
import { keepAliveAxis, keepAliveInput } from '../http/keepAliveAxis.js';
import { originOf } from '../transport.js';

export interface ShortPollOptions {
  /** The pause between an answer and the next poll. */
  intervalMs: number;
  /** HTTP keep-alive between polls; off: every poll on a new connection, closed by the server after its answer. */
  keepAlive: boolean;
}

const section = defineSection({
  key: 'shortPoll',
  schema: z.strictObject({
    interval: axis(
      // The server believes a pause of at most this long (`every`), then ends a silent connection as dead.
      durationMs('1s', { max: DEFAULT_MAX_EVERY_MS }),
      'short-poll: pause between an answer and the next poll (at most 1h).',
    ).default(1000),
    keepAlive: keepAliveAxis('short-poll'),
  }),
  axes: ['interval', 'keepAlive'],
  resolve: (s): ShortPollOptions => ({ intervalMs: s.interval, keepAlive: s.keepAlive === 'on' }),
  input: (o) => ({ interval: formatDurationExact(o.intervalMs), keepAlive: keepAliveInput(o.keepAlive) }),
});

export const shortPollModel = defineModel<ShortPollOptions>({
  id: 'short-poll',
  title: 'short polling: the client asks every interval, over a keep-alive connection unless shortPoll.keepAlive is off',
  listener: 'http',
  usesDispatcher: true,
  section,
  // Same /poll route as long polling, asked without `wait`.
  createServer: () => new PollServer(),
  createClient: (o, h) =>
    new PollClient(o, h, {
      waitMs: 0,
      intervalMs: o.modelOptions.intervalMs,
      emptyIsHeartbeat: false,
      keepAlive: o.modelOptions.keepAlive,
    }),
  endpoints: (at, settings) => [
    {
      method: 'GET',
      target: `${originOf('http', at.secure, at.host, at.ports.http)}/poll?cursor=0&every=1000`,
      note: `every: your pause; a connection silent past it + ${formatDurationMs(settings.heartbeat.timeoutMs)} is ended as dead`,
    },
  ],
  secondConnection: (_o, workload) => httpModelSecondConnection(workload),
  // Peaks of the scale runs (src/runner/memoryPerConnection.ts says how they were taken).
  peakBytesPerConnection: () => ({ serverBytes: 16 * 1024, clientBytes: 40 * 1024 }),
  // A short poll is answered at its next ask, so draining waits about one interval.
  drainAllowanceMs: (o) => o.intervalMs,
  // A poll every interval at most (the answer's round trip only lengthens it).
  newConnectionsPerSec: (o) => (o.keepAlive ? 0 : 1000 / Math.max(1, o.intervalMs)),
  // The poll is the heartbeat: one every interval.
  labOptions: (intervalMs) => ({ intervalMs, keepAlive: true }),
});
