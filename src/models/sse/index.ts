import { z } from 'zod';
import { defineModel } from '../types.js';
import { defineSection } from '../section.js';
import { durationMs } from '../../util/zodUnits.js';
import { formatDurationExact } from '../../util/unitText.js';
import { SseServer } from './server.js';
import { SseClient } from './client.js';
import { LeanSseClient } from './leanClient.js';
import { LEAN_SSE_CLIENT_ABOVE, SSE_CLIENTS, sseClientFor, type SseClientSetting } from './clientChoice.js';
import { ALIVE_PATH } from './frames.js';
import { httpModelSecondConnection } from '../http/secondConnection.js';
import { originOf } from '../transport.js';

export interface SseOptions {
  /** The `retry:` the server announces once per stream. */
  retryMs: number;
  client: SseClientSetting;
  /**
   * Clients echo every heartbeat comment with `POST /events/alive`, so the server can detect a
   * dead client (SSE carries nothing upstream). Costs each client a second connection and a
   * request per interval.
   */
  echo: boolean;
}

const section = defineSection({
  key: 'sse',
  schema: z.strictObject({
    retry: durationMs('1s').default(1000).describe('The `retry:` the SSE server announces.'),
    client: z
      .enum(SSE_CLIENTS)
      .default('auto')
      .describe(
        `SSE client: reference (the eventsource package), lean (raw socket, a fraction of the memory: docs/benchmarks.md, The lean SSE client), or auto = lean above ${LEAN_SSE_CLIENT_ABOVE} clients.`,
      ),
    echo: z
      .boolean()
      .default(false)
      .describe(
        'Clients answer every heartbeat comment with POST /events/alive, so the server can detect a dead client (SSE carries nothing upstream otherwise). Costs each client a second connection and a request per heartbeat interval.',
      ),
  }),
  axes: [],
  resolve: (s): SseOptions => ({ retryMs: s.retry, client: s.client, echo: s.echo }),
  input: (o) => ({ retry: formatDurationExact(o.retryMs), client: o.client, echo: o.echo }),
});

/** Both clients' peak cost per connection in a worker (src/runner/memoryPerConnection.ts says how they were taken). */
const LEAN_CLIENT_PEAK_BYTES = 24 * 1024;
const REFERENCE_CLIENT_PEAK_BYTES = 72 * 1024;

export const sseModel = defineModel<SseOptions>({
  id: 'sse',
  title: 'Server-Sent Events: one text/event-stream response that never ends',
  listener: 'http',
  usesDispatcher: true,
  needsHeartbeatEcho: true,
  section,
  createServer: (o) => new SseServer({ retryMs: o.retryMs, echo: o.echo }),
  createClient: (o, h) =>
    sseClientFor(o.modelOptions.client, o.clientsInPoint) === 'lean' ? new LeanSseClient(o, h) : new SseClient(o, h),
  endpoints: (at, _settings, o) => [
    {
      method: 'GET',
      target: `${originOf('http', at.secure, at.host, at.ports.http)}/events`,
      ...(o.echo ? { note: `echo each heartbeat: POST ${ALIVE_PATH}?stream=K, K from the hello` } : {}),
    },
  ],
  secondConnection: (o, workload) =>
    httpModelSecondConnection(workload) ?? (o.echo ? 'an SSE client echoes heartbeats on a second connection' : undefined),
  peakBytesPerConnection: (o, clients) => ({
    serverBytes: 20 * 1024,
    clientBytes: sseClientFor(o.client, clients) === 'reference' ? REFERENCE_CLIENT_PEAK_BYTES : LEAN_CLIENT_PEAK_BYTES,
  }),
  // The reference client, as a browser would be; a quick retry so a cut stream is back within the lab's short intervals.
  labOptions: (_intervalMs, lab) => ({ retryMs: 100, client: 'reference', echo: lab.echo }),
});
