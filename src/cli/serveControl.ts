import { randomBytes } from 'node:crypto';
import { Controller } from '../runner/remote/controller.js';
import { listenControl } from '../runner/remote/controlServer.js';
import { ShardResultStore } from '../runner/remote/resultStore.js';
import { machineLimits } from '../runner/machine.js';
import { inputError } from '../util/errors.js';
import { durationFlag, intFlag } from './flags.js';
import { untilSignal } from './untilSignal.js';
import { TOKEN_ENV } from './runShard.js';

export interface ControlFlags {
  host: string;
  port: string;
  modelPort?: string;
  barrierTimeout: string;
  resultsDir?: string;
}

/** After the first shard ends, the others get this long beyond the drain timeout before the server processes stop anyway. */
const END_GRACE_BEYOND_DRAIN_MS = 60_000;

/**
 * `serve --control`: the control API on --host:--port; each model run's server processes on
 * --host from --model-port (default the port after --port). The token is CONNBENCH_TOKEN, or one
 * generated and printed.
 */
export async function serveControl(f: ControlFlags, env: NodeJS.ProcessEnv): Promise<void> {
  const port = intFlag('--port', f.port, { min: 0, max: 65535, example: '8080', code: 'CB_ERR_BAD_PORT' });
  const firstModelPort =
    f.modelPort !== undefined
      ? intFlag('--model-port', f.modelPort, { min: 0, max: 65535, example: '8081', code: 'CB_ERR_BAD_PORT' })
      : port === 0
        ? 0
        : port + 1;
  const barrierTimeoutMs = durationFlag('--barrier-timeout', f.barrierTimeout, '10m', { positive: true });
  const given = env[TOKEN_ENV];
  if (given !== undefined && given.length < 16) {
    throw inputError(
      'CB_ERR_TOKEN_WEAK',
      `${TOKEN_ENV} is ${given.length} characters; the control API wants at least 16`,
      'generate one: openssl rand -hex 16',
    );
  }
  const token = given ?? randomBytes(16).toString('hex');
  const controller = new Controller({
    host: f.host,
    firstModelPort,
    barrierTimeoutMs,
    endGraceMs: END_GRACE_BEYOND_DRAIN_MS,
    limits: machineLimits,
  });
  const server = await listenControl({ host: f.host, port, token, controller, results: new ShardResultStore(f.resultsDir) });
  process.stdout.write(
    [
      `connbench control API: http://${f.host}:${server.port}`,
      given !== undefined ? `token: from ${TOKEN_ENV}` : `token: ${token} (generated: give it to every shard as ${TOKEN_ENV})`,
      `server processes: ${f.host}, ${firstModelPort === 0 ? 'any free ports' : `ports from ${firstModelPort}`}; one model run at a time, started by the shards`,
      ...(f.resultsDir ? [`shard results: ${f.resultsDir}`] : []),
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await untilSignal();
  await controller.close();
  await server.close();
}
