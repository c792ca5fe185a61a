// @ts-check
/**
 * Simulated client RSS per short-poll client, 3000 clients in one worker process polling once a
 * second, from the runner's own memory phase (runModel, as the bench memory figures use it).
 * Run after `npm run build`, once as is and once with V8's young generation capped:
 *   node bench/micro/shortPollClientRss.mjs
 *   NODE_OPTIONS=--max-semi-space-size=1 node bench/micro/shortPollClientRss.mjs
 * (NODE_OPTIONS reaches the forked server and worker too.)
 */
import { runModel } from '../../dist/runner/runModel.js';
import { planRun } from '../../dist/runner/plan.js';
import { openFilesLimit } from '../../dist/metrics/limits.js';
import { validateScenario } from '../../dist/scenario/load.js';
import { expandMatrix } from '../../dist/scenario/matrix.js';

const CLIENTS = 3000;
const [s] = expandMatrix(
  validateScenario(
    {
      name: 'short-poll-client-rss',
      models: ['short-poll'],
      clients: CLIENTS,
      rampUp: '2s',
      warmup: '0s',
      duration: '100ms',
      drainTimeout: '5s',
      workload: { pattern: 'idle' },
      shortPoll: { interval: '1s' },
      heartbeat: { interval: '60s', timeout: '120s' },
      client: { workers: 1 },
    },
    'short-poll client RSS scenario',
  ),
);
if (!s) throw new Error('the scenario resolved to no point');
const row = await runModel(s, 'short-poll', planRun(s, { openFilesLimit: openFilesLimit() }), []);
console.log(
  `${row.clients.connected}/${CLIENTS} short-poll clients in ${row.client.workers} worker, status ${row.status}: ` +
    `${row.client.rssPerClientBytes === null ? 'n/a' : (row.client.rssPerClientBytes / 1024).toFixed(1)} KiB RSS per client (NODE_OPTIONS=${process.env.NODE_OPTIONS ?? ''})`,
);
