import { defineModel } from '../types.js';
import { WebsocketServer } from './server.js';
import { WebsocketClient } from './client.js';

export const websocketModel = defineModel<undefined>({
  id: 'websocket',
  title: 'WebSocket: RFC 6455 text frames over one upgraded HTTP connection, ping/pong heartbeat',
  listener: 'http',
  createServer: () => new WebsocketServer(),
  createClient: (o, h) => new WebsocketClient(o, h),
  endpoints: (at) => [{ method: 'GET', target: `ws://${at.host}:${at.ports.http}/ws` }],
  // Peaks of the scale runs (src/runner/memoryPerConnection.ts says how they were taken).
  peakBytesPerConnection: () => ({ serverBytes: 16 * 1024, clientBytes: 32 * 1024 }),
  labOptions: () => undefined,
});
