import type { Model } from '../types.js';
import { WebsocketServer } from './server.js';
import { WebsocketClient } from './client.js';

export const websocketModel: Model = {
  id: 'websocket',
  title: 'WebSocket: RFC 6455 text frames over one upgraded HTTP connection, ping/pong heartbeat',
  usesDispatcher: false,
  needsHeartbeatEcho: false,
  createServer: () => new WebsocketServer(),
  createClient: (o, h) => new WebsocketClient(o, h),
};
