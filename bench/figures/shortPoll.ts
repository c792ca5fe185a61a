import { sleep } from '../../dist/util/sleep.js';
import { BenchServer, BenchWorkers, cpuUsOf } from '../fleet.js';
import { floorChild } from '../children.js';
import { benchScenario, QUIET_HEARTBEAT } from '../scenario.js';
import { figure, type Figure } from '../figure.js';
import type { FromAutocannon, ToAutocannon } from '../floors/protocol.js';

export interface ShortPollSize {
  connections: number;
  /** Load before the measured window, so both start from warm connections. */
  warmupMs: number;
  durationMs: number;
}

/**
 * The short-poll generator (client workers polling with no pause) against autocannon 8 with the
 * same connections on the same `/poll` of the same reference server process. Both are counted by
 * the server (requests it answered in the window), so the yardstick is the same.
 */
export async function shortPollFigure(size: ShortPollSize): Promise<Figure> {
  const s = benchScenario({
    models: ['short-poll'],
    clients: size.connections,
    rampUp: '0s',
    workload: { pattern: 'idle' },
    shortPoll: { interval: 0 },
    heartbeat: QUIET_HEARTBEAT,
  });
  const server = await BenchServer.start(s, 'short-poll');
  try {
    const workers = await BenchWorkers.start(s, 'short-poll', server);
    let generator: Window;
    try {
      await sleep(size.warmupMs);
      const w0 = await workers.sample(false);
      generator = await window(server, size.durationMs);
      const w1 = await workers.sample(false);
      generator.clientCpuUs = w1.reduce((a, x, i) => a + cpuUsOf(x) - cpuUsOf(w0[i]!), 0);
    } finally {
      await workers.stop();
    }

    const cannon = floorChild<ToAutocannon, FromAutocannon>('autocannon', 'autocannon');
    let peer: Window;
    let ran: Extract<FromAutocannon, { type: 'done' }>;
    try {
      const durationSec = (size.warmupMs + size.durationMs) / 1000 + 0.5;
      const done = cannon.waitFor('done', durationSec * 1000 + 30_000, 'finish its run');
      await cannon.request(
        { type: 'run', url: `http://127.0.0.1:${server.ports.http!}/poll?cursor=0&user=u0`, connections: size.connections, durationSec },
        'started',
        30_000,
        'start',
      );
      await sleep(size.warmupMs);
      peer = await window(server, size.durationMs);
      ran = await done;
    } finally {
      await cannon.stop({ type: 'stop' });
    }

    // CPU per request tells the generator's cost apart from the machine's load.
    const generatorCpuUsPerRequest = round(generator.clientCpuUs / generator.requests);
    const autocannonCpuUsPerRequest = round(ran.cpuUs / ran.requests);
    const serverCpuUsPerRequestWithGenerator = round(generator.serverCpuUs / generator.requests);
    const serverCpuUsPerRequestWithAutocannon = round(peer.serverCpuUs / peer.requests);
    return figure({
      id: 'short-poll.requestsPerSec',
      title: `short-poll generator requests/s, ${size.connections} connections, \`/poll\``,
      unit: 'requests/s',
      measured: generator.requestsPerSec,
      floor: peer.requestsPerSec,
      floorName: 'autocannon 8',
      goal: { op: '>=', ratio: 1, never: 0.8 },
      details: {
        generatorCpuUsPerRequest,
        autocannonCpuUsPerRequest,
        serverCpuUsPerRequestWithGenerator,
        serverCpuUsPerRequestWithAutocannon,
        generatorCpuPercent: round((100 * generator.clientCpuUs) / generator.windowUs),
        serverCpuPercentWithGenerator: round((100 * generator.serverCpuUs) / generator.windowUs),
        serverCpuPercentWithAutocannon: round((100 * peer.serverCpuUs) / peer.windowUs),
        autocannonNon2xx: ran.non2xx,
        autocannonErrors: ran.errors,
      },
      explain: {
        why:
          `the generator took ${generatorCpuUsPerRequest} µs of CPU a request against autocannon's ${autocannonCpuUsPerRequest}, ` +
          `and the server ${serverCpuUsPerRequestWithGenerator} µs a request under the generator against ${serverCpuUsPerRequestWithAutocannon} under autocannon`,
        docs: 'Where a goal is missed, and what limits it',
      },
    });
  } finally {
    await server.stop();
  }
}

interface Window {
  requests: number;
  requestsPerSec: number;
  windowUs: number;
  serverCpuUs: number;
  /** The generator's worker CPU over the same window (filled in by the caller). */
  clientCpuUs: number;
}

/** Requests the server answered, and its CPU, over durationMs. */
async function window(server: BenchServer, durationMs: number): Promise<Window> {
  const a = await server.sample(false);
  await sleep(durationMs);
  const b = await server.sample(false);
  const windowUs = b.sample.atUs - a.sample.atUs;
  const requests = b.wireBytes.httpRequests - a.wireBytes.httpRequests;
  return {
    requests,
    requestsPerSec: (requests * 1e6) / windowUs,
    windowUs,
    serverCpuUs: cpuUsOf(b.sample) - cpuUsOf(a.sample),
    clientCpuUs: 0,
  };
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : 0);
