import type { Command } from 'commander';
import { ReferenceHost } from '../server/host.js';
import { Publisher } from '../server/publisher.js';
import { allModels } from '../models/index.js';
import { formatDurationMs, parseRatePerSec, parseSizeBytes } from '../util/units.js';
import { inputError } from '../util/errors.js';
import { nowUs } from '../metrics/clock.js';
import { untilSignal } from './untilSignal.js';
import { durationFlag, intFlag } from './flags.js';
import { registerSilenceRoute } from '../heartbeat/silenceRoute.js';

interface ServeFlags {
  host: string;
  port: string;
  tcpPort: string;
  rate: string;
  payload: string;
  heartbeat: string;
  retention: string;
  sseEcho?: boolean;
}

const parsePort = (v: string, flag: string) => intFlag(flag, v, { min: 0, max: 65535, example: '8080', code: 'CB_ERR_BAD_PORT' });

function must<T>(v: T | undefined, flag: string, raw: string, example: string): T {
  if (v === undefined)
    throw inputError('CB_ERR_BAD_FLAG', `${flag}: expected something like "${example}", got "${raw}"`, `write it like ${flag} ${example}`);
  return v;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the reference server alone, every model at once, publishing at --rate')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'HTTP port (short-poll, long-poll, sse, websocket); 0 = any free port', '8080')
    .option('--tcp-port <n>', 'raw TCP port; 0 = any free port', '8081')
    .option('--rate <r>', 'broadcast messages per second (0 = none)', '1/s')
    .option('--payload <size>', 'payload size', '128B')
    .option('--heartbeat <d>', 'heartbeat interval (timeout is twice it)', '15s')
    .option('--sse-echo', 'SSE clients must echo heartbeats (POST /events/alive): a stream without echoes is ended as dead')
    .option('--retention <n>', 'messages the log keeps for resuming clients', '100000')
    .action(async (f: ServeFlags) => {
      const ratePerSec = must(parseRatePerSec(f.rate), '--rate', f.rate, '10/s');
      const payloadBytes = must(parseSizeBytes(f.payload), '--payload', f.payload, '128B');
      const heartbeatMs = durationFlag('--heartbeat', f.heartbeat, '15s');
      const retention = intFlag('--retention', f.retention, { min: 1, example: '100000' });
      const host = new ReferenceHost({
        host: f.host,
        httpPort: parsePort(f.port, '--port'),
        tcpPort: parsePort(f.tcpPort, '--tcp-port'),
        retention,
        settings: {
          heartbeat: { intervalMs: heartbeatMs, timeoutMs: heartbeatMs * 2 },
          maxHoldMs: 60_000,
          sseRetryMs: 1000,
          sseEcho: f.sseEcho === true,
        },
      });
      for (const m of allModels()) host.attach(m.createServer());
      // For `connbench heartbeat probe` through an intermediary in front of this server.
      registerSilenceRoute(host);
      const { httpPort, tcpPort } = await host.listen();
      const publisher = new Publisher(host.log, { ratePerSec, payloadBytes, t0Us: nowUs() });
      if (ratePerSec > 0) publisher.start();
      const base = `http://${f.host}:${httpPort}`;
      process.stdout.write(
        [
          `connbench reference server, publishing ${ratePerSec}/s with ${payloadBytes} B payloads`,
          `  short-poll  GET  ${base}/poll?cursor=0&every=1000  (every: your pause; a connection silent past it + ${formatDurationMs(heartbeatMs * 2)} is ended as dead)`,
          `  long-poll   GET  ${base}/poll?cursor=0&wait=20000`,
          `  sse         GET  ${base}/events${f.sseEcho ? '  (echo each heartbeat: POST /events/alive?stream=K, K from the hello)' : ''}`,
          `  websocket   GET  ws://${f.host}:${httpPort}/ws`,
          `  tcp              ${f.host}:${tcpPort} (4-byte length + type + body frames)`,
          `  chat send   POST ${base}/send  {"to":"u2","t":0,"body":"hi"}`,
          `  probe       GET  ${base}/probe/silence?ms=N  (connbench heartbeat probe)`,
          'Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
      await untilSignal();
      publisher.stop();
      await host.close();
    });
}
