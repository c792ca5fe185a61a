import type { Model } from '../types.js';
import { SseServer } from './server.js';
import { SseClient } from './client.js';

export const sseModel: Model = {
  id: 'sse',
  title: 'Server-Sent Events: one text/event-stream response that never ends',
  usesDispatcher: true,
  createServer: () => new SseServer(),
  createClient: (o, h) => new SseClient(o, h),
};
