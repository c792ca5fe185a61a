import { defineModel } from '../types.js';
import { TcpServer } from './server.js';
import { TcpClient } from './client.js';

export const tcpModel = defineModel<undefined>({
  id: 'tcp',
  title: 'raw TCP: length-prefixed frames on a port of their own, PING/PONG heartbeat',
  listener: 'tcp',
  createServer: () => new TcpServer(),
  createClient: (o, h) => new TcpClient(o, h),
  endpoints: (at) => [
    { method: '', target: `${at.host}:${at.ports.tcp}`, note: `4-byte length + type + body frames${at.secure ? ', over TLS' : ''}` },
  ],
  // Peaks of the scale runs (src/runner/memoryPerConnection.ts says how they were taken).
  peakBytesPerConnection: () => ({ serverBytes: 12 * 1024, clientBytes: 24 * 1024 }),
  labOptions: () => undefined,
});
