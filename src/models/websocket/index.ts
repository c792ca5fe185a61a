import { z } from 'zod';
import { defineModel } from '../types.js';
import { defineSection } from '../section.js';
import { WebsocketServer } from './server.js';
import { WebsocketClient } from './client.js';
import { LeanWebsocketClient } from './leanClient.js';
import { LEAN_WEBSOCKET_CLIENT_ABOVE, WEBSOCKET_CLIENTS, websocketClientFor, type WebsocketClientSetting } from './clientChoice.js';
import { originOf } from '../transport.js';

export interface WebsocketOptions {
  client: WebsocketClientSetting;
}

const section = defineSection({
  key: 'websocket',
  schema: z.strictObject({
    client: z
      .enum(WEBSOCKET_CLIENTS)
      .default('auto')
      .describe(
        `WebSocket client: reference (the ws package), lean (raw socket, the project's own RFC 6455 framing, less CPU per message), or auto = lean above ${LEAN_WEBSOCKET_CLIENT_ABOVE} clients.`,
      ),
  }),
  axes: [],
  resolve: (s): WebsocketOptions => ({ client: s.client }),
  input: (o) => ({ client: o.client }),
});

export const websocketModel = defineModel<WebsocketOptions>({
  id: 'websocket',
  title: 'WebSocket: RFC 6455 text frames over one upgraded HTTP connection, ping/pong heartbeat',
  listener: 'http',
  section,
  createServer: () => new WebsocketServer(),
  createClient: (o, h) =>
    websocketClientFor(o.modelOptions.client, o.clientsInPoint) === 'lean' ? new LeanWebsocketClient(o, h) : new WebsocketClient(o, h),
  endpoints: (at) => [{ method: 'GET', target: `${originOf('ws', at.secure, at.host, at.ports.http)}/ws` }],
  // Peaks of the scale runs (src/runner/memoryPerConnection.ts says how they were taken).
  peakBytesPerConnection: () => ({ serverBytes: 16 * 1024, clientBytes: 32 * 1024 }),
  // The reference client, as a browser would be.
  labOptions: () => ({ client: 'reference' }),
});
