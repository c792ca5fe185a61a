import type { Model } from '../types.js';
import { TcpServer } from './server.js';
import { TcpClient } from './client.js';

export const tcpModel: Model = {
  id: 'tcp',
  title: 'raw TCP: length-prefixed frames on a port of their own, PING/PONG heartbeat',
  usesDispatcher: false,
  needsHeartbeatEcho: false,
  createServer: () => new TcpServer(),
  createClient: (o, h) => new TcpClient(o, h),
};
