import type { Model } from '../types.js';
import { PollServer } from './server.js';
import { PollClient } from './client.js';

export const longPollModel: Model = {
  id: 'long-poll',
  title: 'long polling: the server holds each request until data arrives or the hold ends',
  usesDispatcher: true,
  needsHeartbeatEcho: false,
  createServer: () => new PollServer(),
  createClient: (o, h) => new PollClient(o, h, { waitMs: o.longPollHoldMs, intervalMs: 0, emptyIsHeartbeat: true }),
};
