import type { Command } from 'commander';
import { ReferenceHost } from '../server/host.js';
import { Publisher } from '../server/publisher.js';
import { allModels } from '../models/index.js';
import type { Endpoint } from '../models/types.js';
import type { ListenerKind } from '../models/listeners.js';
import { applyOverrides, validateScenario } from '../scenario/load.js';
import { expandMatrix } from '../scenario/matrix.js';
import { optionsOf } from '../scenario/modelOptions.js';
import { MAX_RATE_PER_SEC, MIN_RATE_PER_SEC } from '../util/unitBounds.js';
import { nowUs } from '../metrics/clock.js';
import { inputError } from '../util/errors.js';
import { untilSignal } from './untilSignal.js';
import { durationFlag, intFlag, unitFlag } from './flags.js';
import { MAX_BROADCAST_PAYLOAD_BYTES } from '../models/payloadLimits.js';
import { DEFAULT_SLOW_READER_QUEUE_BYTES, DEFAULT_STALL_TIMEOUT_MS } from '../models/serverLimits.js';
import { MAX_RETENTION } from '../scenario/limits.js';
import { formatBytesExact, formatDurationExact } from '../util/unitText.js';
import { registerSilenceRoute } from '../heartbeat/silenceRoute.js';
import { serveControl } from './serveControl.js';
import { originOf } from '../models/transport.js';
import { serveTls, tlsHelpLines, type ServeTlsFlags } from './serveTls.js';

interface ServeFlags extends ServeTlsFlags {
  host: string;
  port: string;
  tcpPort: string;
  rate: string;
  payload: string;
  heartbeat: string;
  retention: string;
  slowReaderQueue: string;
  stallTimeout: string;
  sseEcho?: boolean;
  control?: boolean;
  modelPort?: string;
  barrierTimeout: string;
  resultsDir?: string;
}

const parsePort = (v: string, flag: string) => intFlag(flag, v, { min: 0, max: 65535, example: '8080', code: 'CB_ERR_BAD_PORT' });

/** The flags as numbers, each in the range a scenario's same field has; the first bad one is refused. */
function serveOptionsOf(f: ServeFlags) {
  return {
    ratePerSec: unitFlag('--rate', f.rate, 'rate', { min: MIN_RATE_PER_SEC, max: MAX_RATE_PER_SEC, orZero: true }, '10/s'),
    payloadBytes: unitFlag('--payload', f.payload, 'size', { min: 0, max: MAX_BROADCAST_PAYLOAD_BYTES }, '128B'),
    heartbeatMs: durationFlag('--heartbeat', f.heartbeat, '15s'),
    retention: intFlag('--retention', f.retention, { min: 1, max: MAX_RETENTION, example: '100000' }),
    slowReaderQueueBytes: unitFlag('--slow-reader-queue', f.slowReaderQueue, 'size', { min: 16 * 1024, max: 1024 ** 3 }, '1MiB'),
    stallTimeoutMs: durationFlag('--stall-timeout', f.stallTimeout, '30s', { positive: true }),
    ports: { http: parsePort(f.port, '--port'), tcp: parsePort(f.tcpPort, '--tcp-port') },
  };
}

/** `connbench serve: stopped; served …`: what the server counted, for whoever stopped it. */
function summaryLine(counters: Record<string, number>): string {
  const counts = Object.entries(counters)
    .filter(([name]) => name !== 'heartbeatBytes')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name}=${n}`);
  return `connbench serve: stopped; ${counts.length ? counts.join(', ') : 'nothing counted'}\n`;
}

/** The models whose clients connect to a listener of `kind`, for the help text. */
function modelsOn(kind: ListenerKind): string {
  return allModels()
    .filter((m) => m.listener === kind)
    .map((m) => m.id)
    .join(', ');
}

/** `  sse         GET  http://…/events  (note)`: one line of the endpoint list. */
function endpointLine(name: string, e: Endpoint): string {
  return `  ${name.padEnd(11)} ${e.method.padEnd(4)} ${e.target}${e.note ? `  (${e.note})` : ''}`;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the reference server alone, every model at once, publishing at --rate')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--port <n>', `HTTP port (${modelsOn('http')}); 0 = any free port`, '8080')
    .option('--tcp-port <n>', `raw TCP port (${modelsOn('tcp')}); 0 = any free port`, '8081')
    .option('--rate <r>', 'broadcast messages per second (0 = none)', '1/s')
    .option('--payload <size>', 'payload size', '128B')
    .option('--heartbeat <d>', 'heartbeat interval (timeout is twice it)', '15s')
    .option('--sse-echo', 'SSE clients must echo heartbeats (POST /events/alive): a stream without echoes is ended as dead')
    .option('--retention <n>', 'messages the log keeps for resuming clients', '100000')
    .option(
      '--slow-reader-queue <size>',
      'unsent bytes a push connection may hold (past one write) before it is cut as a slow reader',
      formatBytesExact(DEFAULT_SLOW_READER_QUEUE_BYTES),
    )
    .option(
      '--stall-timeout <d>',
      'a request or tcp frame must arrive whole within this long',
      formatDurationExact(DEFAULT_STALL_TIMEOUT_MS),
    )
    .option('--control', 'serve the control API on --port instead, for shards of `run --target` (token: CONNBENCH_TOKEN, else generated)')
    .option(
      '--model-port <n>',
      'with --control: the first port of the server processes, one per listener kind each; 0 = any free port (default --port + 1)',
    )
    .option(
      '--barrier-timeout <d>',
      'with --control: how long a model run waits for every shard to connect before going on without the rest',
      '10m',
    )
    .option('--results-dir <dir>', 'with --control: also write the shard results uploaded to the server into this directory')
    .option('--tls', 'TLS on both ports (https, wss, TLS on the tcp port), with a throwaway CA written to --ca-out')
    .option('--ca-out <file>', 'with --tls: where to write the throwaway CA, for curl --cacert', 'connbench-ca.pem')
    .option('--tls-cert <file>', 'with --tls: your own certificate (PEM) instead of a throwaway CA')
    .option('--tls-key <file>', 'with --tls-cert: its private key')
    .option('--tls-ca <file>', 'with --tls-cert: the CA clients trust for it (default: the certificate itself)')
    .action((f: ServeFlags) => (f.control ? runControl(f) : runServe(f)));
}

/** `connbench serve --control`: the control API, whose server processes listen as the shards' scenario says. */
async function runControl(f: ServeFlags): Promise<void> {
  // A shard refuses TLS (src/runner/plan.ts), so the control API's servers speak plain TCP.
  if (f.tls || f.tlsCert || f.tlsKey || f.tlsCa)
    throw inputError(
      'CB_ERR_BAD_FLAG',
      '--tls and its certificate flags serve the reference server alone; with --control the server processes speak plain TCP',
      'drop --tls with --control (run TLS without --target, on one machine), or serve --tls without --control',
    );
  return serveControl(f, process.env);
}

/** `connbench serve`: the reference server with every model attached, publishing until a signal, then what it counted. */
async function runServe(f: ServeFlags): Promise<void> {
  const { ratePerSec, payloadBytes, heartbeatMs, retention, slowReaderQueueBytes, stallTimeoutMs, ports: asked } = serveOptionsOf(f);
  const settings = { heartbeat: { intervalMs: heartbeatMs, timeoutMs: heartbeatMs * 2 }, slowReaderQueueBytes, stallTimeoutMs };
  // Every model's options at their scenario defaults, with what the flags set.
  const [defaults] = expandMatrix(validateScenario(applyOverrides({}, { 'sse.echo': f.sseEcho === true }), 'serve flags'));
  const tls = await serveTls(f);
  const host = new ReferenceHost({
    host: f.host,
    ports: asked,
    retention,
    settings,
    ...(tls ? { tls: tls.listeners } : {}),
  });
  for (const m of allModels()) host.attach(m.createServer(optionsOf(m, defaults!)));
  // For `connbench heartbeat probe` through an intermediary in front of this server.
  registerSilenceRoute(host);
  const ports = await host.listen();
  const publisher = new Publisher(host.log, { ratePerSec, payloadBytes, t0Us: nowUs() });
  if (ratePerSec > 0) publisher.start();
  const at = { host: f.host, ports, secure: tls !== undefined };
  const lines = allModels().flatMap((m) => m.endpoints(at, settings, optionsOf(m, defaults!)).map((e) => endpointLine(m.id, e)));
  process.stdout.write(
    [
      `connbench reference server, publishing ${ratePerSec}/s with ${payloadBytes} B payloads`,
      ...lines,
      ...extraEndpointLines(originOf('http', tls !== undefined, f.host, ports.http)),
      ...(tls ? tlsHelpLines(tls.caFile, f.host, ports) : []),
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await untilSignal();
  publisher.stop();
  await host.close();
  process.stdout.write(summaryLine(host.counters));
}

/** The routes no model owns: chat's send and the heartbeat probe's silence, at the HTTP origin `base`. */
function extraEndpointLines(base: string): string[] {
  return [
    endpointLine('chat send', { method: 'POST', target: `${base}/send`, note: '{"to":"u2","t":0,"body":"hi"}' }),
    endpointLine('probe', { method: 'GET', target: `${base}/probe/silence?ms=N`, note: 'connbench heartbeat probe' }),
  ];
}
