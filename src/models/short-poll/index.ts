import type { Model } from '../types.js';
import { PollServer } from '../long-poll/server.js';
import { PollClient } from '../long-poll/client.js';

export const shortPollModel: Model = {
  id: 'short-poll',
  title: 'short polling: the client asks every interval over a keep-alive connection',
  usesDispatcher: true,
  needsHeartbeatEcho: false,
  // Same /poll route as long polling, asked without `wait`.
  createServer: () => new PollServer(),
  createClient: (o, h) => new PollClient(o, h, { waitMs: 0, intervalMs: o.shortPollIntervalMs, emptyIsHeartbeat: false }),
};
