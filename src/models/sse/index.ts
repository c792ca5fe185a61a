import type { Model } from '../types.js';
import { SseServer } from './server.js';
import { SseClient } from './client.js';
import { LeanSseClient } from './leanClient.js';

export const sseModel: Model = {
  id: 'sse',
  title: 'Server-Sent Events: one text/event-stream response that never ends',
  usesDispatcher: true,
  needsHeartbeatEcho: true,
  createServer: () => new SseServer(),
  // The reference client unless told otherwise: the worker resolves the scenario's sse.client.
  createClient: (o, h) => (o.sseClient === 'lean' ? new LeanSseClient(o, h) : new SseClient(o, h)),
};
