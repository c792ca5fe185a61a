import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Child } from '../../src/runner/child.js';
import type { FromWorker, ToWorker, WorkerResult } from '../../src/ipc/worker.js';
import { ReferenceHost } from '../../src/server/host.js';
import { allModels } from '../../src/models/index.js';
import { MODEL_IDS, type ModelId } from '../../src/models/index.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { validateScenario } from '../../src/scenario/load.js';
import { TEST_SETTINGS, testOptions } from '../helpers/harness.js';
import type { Ports } from '../../src/models/listeners.js';
import { summarizeModelRun } from '../../src/runner/resultRow.js';
import { initHistograms } from '../../src/metrics/histogram.js';
import { renderRunTable } from '../../src/report/table.js';
import type { ResourceSample } from '../../src/metrics/process.js';
import type { RunResult } from '../../src/report/result.js';

/**
 * Running out of descriptors or addresses in the middle of a run: the real client worker process
 * (built dist/), driven over IPC as the runner drives it, against a reference host in this process.
 * Its clients must count EMFILE / EADDRNOTAVAIL under their codes and the worker must carry on.
 */

/** An address no interface has: bind() fails at once, so no packet is ever sent from it. */
const UNASSIGNED_ADDRESS = '0.0.0.1';

let host: ReferenceHost;
let ports: Ports;

beforeAll(async () => {
  await initHistograms();
  host = new ReferenceHost({ retention: 1000, settings: TEST_SETTINGS, ports: { http: 0, tcp: 0 } });
  for (const m of allModels()) host.attach(m.createServer(testOptions(m)));
  ports = await host.listen();
});
afterAll(() => host.close());

const scenario = (model: ModelId) =>
  expandMatrix(
    validateScenario({
      models: [model],
      clients: 60,
      rampUp: 0,
      heartbeat: { interval: '1s', timeout: '3s' },
      shortPoll: { interval: '100ms' },
    }),
  )[0]!;

/** The table row the runner would print for this worker's result (resource figures zeroed). */
function tableOf(model: ModelId, result: WorkerResult): string {
  const sample: ResourceSample = { pid: 1, rssBytes: 0, heapUsedBytes: 0, cpuUserUs: 0, cpuSystemUs: 0, atUs: 0, openSockets: 0 };
  const wire = { sentBytes: 0, receivedBytes: 0, httpRequests: 0 };
  const row = summarizeModelRun({
    model,
    matrix: {},
    durationMs: 1000,
    rampUpMs: 0,
    drainMs: 0,
    published: 0,
    workers: [result],
    server: {
      base: sample,
      connected: sample,
      measureStart: sample,
      measureEnd: sample,
      wireStart: wire,
      wireEnd: wire,
      heartbeatBytesStart: 0,
      heartbeatBytesEnd: 0,
      peakRssBytes: 0,
      kernelBaseBytes: undefined,
      kernelConnectedBytes: undefined,
    },
    client: { base: [sample], connected: [sample], measureStart: [sample], measureEnd: [sample] },
    memoryRepeats: { serverBase: [[sample]], serverConnected: [[sample]], clientBase: [[sample]], clientConnected: [[sample]] },
    idle: { serverCpuUs: 0, clientCpuUs: 0, durationUs: 1_000_000 },
    publishTimes: { lags: [], handoffs: [] },
  });
  const s = scenario(model);
  const { matrix: _m, ...resolved } = s;
  const run = {
    schemaVersion: 1,
    kind: 'run',
    tool: { name: 'connbench', version: '0' },
    startedAt: '',
    finishedAt: '',
    complete: true,
    env: { node: '', platform: '', arch: '', cpus: 2, memoryBytes: 0 },
    scenario: resolved,
    models: [row],
  };
  return renderRunTable(run as unknown as RunResult);
}

async function runWorker(
  model: ModelId,
  count: number,
  sourceAddresses: string[],
  beforeStart?: (pid: number) => void,
): Promise<WorkerResult> {
  const w = new Child<ToWorker, FromWorker>('client/worker.js', `client worker for ${model}`);
  try {
    // Loaded and idle: the worker opens nothing before 'start'.
    await w.request({ type: 'sample', gc: false }, 'sample', 10_000, 'report a sample');
    beforeStart?.(w.pid!);
    const s = scenario(model);
    await w.request(
      {
        type: 'start',
        workerIndex: 0,
        model,
        firstClientId: 0,
        count,
        host: '127.0.0.1',
        servers: [ports],
        sourceAddresses,
        rampUpMs: 0,
        scenario: s,
      },
      'ramped',
      20_000,
      'connect its clients',
    );
    const { queries } = await w.request({ type: 'cursors' }, 'cursors', 10_000, 'report cursors');
    const drained = await w.request({ type: 'drain', expected: queries.map(() => 0), timeoutMs: 0 }, 'drained', 10_000, 'drain');
    // Still alive and answering after the failures.
    await w.request({ type: 'sample', gc: false }, 'sample', 10_000, 'report a sample');
    return drained.result;
  } finally {
    await w.stop({ type: 'stop' });
  }
}

describe('environment limits during a run', () => {
  it.each(MODEL_IDS)(
    '%s: a worker out of descriptors counts CB_ERR_EMFILE, keeps the clients it has, and answers the runner',
    async (model) => {
      const result = await runWorker(model, 60, ['127.0.0.1'], (pid) => {
        // Room for the worker's own files and about a dozen client sockets, not for 60.
        const limit = readdirSync(`/proc/${pid}/fd`).length + 12;
        const r = spawnSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      });
      expect(result.errors.CB_ERR_EMFILE, JSON.stringify(result.errors)).toBeGreaterThan(0);
      expect(result.connected).toBeGreaterThan(0);
      expect(result.failed).toBeGreaterThan(0);
      expect(result.connected + result.failed).toBe(60);
      expect(tableOf(model, result)).toMatch(/errors: .*CB_ERR_EMFILE×\d+/);
    },
  );

  it('an unassigned source address fails at bind, before any packet', async () => {
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: ports.tcp!, localAddress: UNASSIGNED_ADDRESS });
      s.on('error', resolve);
      s.on('connect', () => resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' })));
    });
    expect(err.code).toBe('EADDRNOTAVAIL');
    expect(err.syscall).toBe('bind');
  });

  it.each(MODEL_IDS)(
    '%s: clients bound to an address that is not available count CB_ERR_EADDRNOTAVAIL; the others connect',
    async (model) => {
      const result = await runWorker(model, 20, ['127.0.0.1', UNASSIGNED_ADDRESS]);
      expect(result.connected).toBe(10);
      expect(result.failed).toBe(10);
      expect(result.errors.CB_ERR_EADDRNOTAVAIL, JSON.stringify(result.errors)).toBeGreaterThanOrEqual(10);
      expect(tableOf(model, result)).toMatch(/errors: .*CB_ERR_EADDRNOTAVAIL×\d+/);
    },
  );
});

describe('environment limits before a run', () => {
  it('the CLI refuses a run the open-files limit cannot hold, exit 3, with the numbers and the remedies', () => {
    const r = spawnSync(
      'prlimit',
      ['--nofile=1024:1024', process.execPath, path.resolve('bin/connbench.js'), 'run', '--models', 'tcp', '--clients', '2000', '--quiet'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain('2000 clients need 2000 sockets');
    expect(r.stderr).toContain('open-files limit 1024');
    expect(r.stderr).toContain('use at most 824 clients');
    expect(r.stderr).toContain('ulimit -n');
    expect(r.stderr).toContain('CB_ERR_TOO_MANY_SOCKETS');
  });
});
