import { beforeAll, describe, expect, it } from 'vitest';
import { summarizeModelRun, type RawModelRun } from '../../src/runner/resultRow.js';
import { combined } from '../../src/runner/servers.js';
import type { ServerSample } from '../../src/runner/serverGroup.js';
import { PUBLISH_SPIN_COUNTER } from '../../src/ipc/server.js';
import { createHistogram, encodeHistogram, initHistograms } from '../../src/metrics/histogram.js';
import type { ResourceSample } from '../../src/metrics/process.js';
import type { WorkerResult } from '../../src/ipc/worker.js';

beforeAll(() => initHistograms());

const sample = (atUs: number, rssBytes: number, cpuUs: number): ResourceSample => ({
  pid: 1,
  rssBytes,
  heapUsedBytes: rssBytes / 2,
  cpuUserUs: cpuUs,
  cpuSystemUs: 0,
  atUs,
  openSockets: 0,
});

function worker(connected: number, deliveries: number): WorkerResult {
  const h = createHistogram();
  for (let i = 0; i < deliveries; i++) h.recordValue(1000 + i);
  const c = createHistogram();
  for (let i = 0; i < connected; i++) c.recordValue(2000);
  const w = { histogram: encodeHistogram(h), connectHistogram: encodeHistogram(c) };
  h.destroy();
  c.destroy();
  return {
    ...w,
    target: 10,
    connected,
    failed: 10 - connected,
    reconnects: 0,
    errors: {},
    expected: deliveries,
    delivered: deliveries,
    lost: 0,
    duplicates: 0,
    reordered: 0,
    gapped: 0,
    sent: 0,
    sendFailures: 0,
    caughtUp: true,
    eventLoopDelayP99Ms: 2,
    eventLoopDelayMaxMs: 3,
    peakRssBytes: 50e6,
  };
}

/** One worker; a 1 s window; the server grew 1 MB between the memory samples and used 0.1 s CPU in the window. */
function raw(connected: number, deliveries: number): RawModelRun {
  const window = {
    base: sample(0, 60e6, 0),
    connected: sample(1e6, 61e6, 0),
    measureStart: sample(2e6, 61e6, 0),
    measureEnd: sample(3e6, 61e6, 1e5),
  };
  return {
    model: 'tcp',
    matrix: {},
    durationMs: 1000,
    rampUpMs: 100,
    drainMs: 10,
    published: deliveries,
    workers: [worker(connected, deliveries)],
    server: {
      ...window,
      wireStart: { sentBytes: 0, receivedBytes: 0, httpRequests: 0 },
      wireEnd: { sentBytes: 2000, receivedBytes: 100, httpRequests: 0 },
      heartbeatBytesStart: 0,
      heartbeatBytesEnd: 60,
      peakRssBytes: 70e6,
      deadPeers: 1,
      slowReaderCuts: 2,
      kernelBaseBytes: 0,
      kernelConnectedBytes: 4096,
    },
    client: { base: [window.base], connected: [window.connected], measureStart: [window.measureStart], measureEnd: [window.measureEnd] },
    memoryRepeats: {
      serverBase: [[window.base]],
      serverConnected: [[window.connected]],
      clientBase: [[window.base]],
      clientConnected: [[window.connected]],
    },
    idle: { serverCpuUs: 0, clientCpuUs: 0, durationUs: 1e6 },
    publishTimes: { lags: [], handoffs: [] },
  };
}

describe('summarizeModelRun: no figure without samples', () => {
  it('gives every figure that had samples behind it, and counts slow-reader cuts', () => {
    const row = summarizeModelRun(raw(10, 200));
    expect(row.server).toMatchObject({
      rssPerConnectionBytes: 100_000,
      cpuPercent: 10,
      cpuUsPerMessage: 500,
      deadPeers: 1,
      slowReaderCuts: 2,
    });
    expect(row.server.rssPerConnectionBytesBound).toBeGreaterThan(0);
    expect(row.wire.serverBytesPerMessage).toBe(10);
    expect(row.latencyMs).toMatchObject({ count: 200, p99: expect.any(Number), p999: null });
    expect(row.connectMs).toMatchObject({ p50: 2, p99: null, max: 2 });
  });

  it('none delivered: per-message figures and latency are null, not 0', () => {
    const row = summarizeModelRun(raw(10, 0));
    expect(row.latencyMs).toEqual({ p50: null, p90: null, p99: null, p999: null, max: null, mean: null, count: 0 });
    expect(row.server).toMatchObject({ cpuUsPerMessage: null, cpuUsPerMessageBound: null });
    expect(row.client.cpuUsPerMessage).toBeNull();
    expect(row.wire).toMatchObject({ serverBytesPerMessage: null, serverReceivedBytesPerMessage: null, requestsPerMessage: null });
    expect(row.deliveriesPerSec).toBe(0);
    expect(row.server.cpuPercent).toBe(10);
  });

  it('none connected: per-connection figures are null too', () => {
    const row = summarizeModelRun(raw(0, 0));
    expect(row.status).toBe('failed');
    expect(row.server).toMatchObject({
      rssPerConnectionBytes: null,
      rssPerConnectionBytesBound: null,
      heapPerConnectionBytes: null,
      kernelPerConnectionBytes: null,
    });
    expect(row.client.rssPerClientBytes).toBeNull();
    expect(row.wire.heartbeatBytesPerConnectionPerMinute).toBeNull();
    expect(row.connectMs).toMatchObject({ p50: null, p99: null, max: null });
  });
});

describe('summarizeModelRun: the publisher spin', () => {
  it('is the part of the server CPU per message spent spinning in the window', () => {
    const r = raw(10, 200);
    const row = summarizeModelRun({ ...r, server: { ...r.server, publishSpinUsStart: 3000, publishSpinUsEnd: 43_000 } });
    // 1e5 µs of CPU over 200 deliveries, 4e4 of it spinning.
    expect(row.server).toMatchObject({ cpuUsPerMessage: 500, publishSpinCpuUsPerMessage: 200 });
  });

  it('is summed over the server processes, and absent when none of them reports it', () => {
    const reply = (counters: Record<string, number>): ServerSample => ({
      type: 'sample',
      sample: raw(1, 1).server.measureEnd,
      peakRssBytes: 0,
      counters,
      wireBytes: { sentBytes: 0, receivedBytes: 0, httpRequests: 0 },
      acceptedBySourceAddress: {},
    });
    expect(combined([reply({ [PUBLISH_SPIN_COUNTER]: 1000 }), reply({ [PUBLISH_SPIN_COUNTER]: 2500 })]).publishSpinUs).toBe(3500);
    expect(combined([reply({}), reply({})]).publishSpinUs).toBeUndefined();
  });

  it('is null from a server that does not report it', () => {
    expect(summarizeModelRun(raw(10, 200)).server.publishSpinCpuUsPerMessage).toBeNull();
  });
});

describe('summarizeModelRun: busy-polling workers (client.busyPoll)', () => {
  /** A worker that used its whole core in the 1 s window, as a busy poll does. */
  function spinning(r: RawModelRun): RawModelRun {
    const end = { ...r.client.measureEnd[0]!, cpuUserUs: 1e6 };
    return { ...r, client: { ...r.client, measureEnd: [end] } };
  }

  it('a whole core is saturation without a busy poll, and its CPU figures are reported', () => {
    const row = summarizeModelRun(spinning(raw(10, 200)));
    expect(row.status).toBe('client-bound');
    expect(row.client).toMatchObject({ cpuPercent: 100, cpuUsPerMessage: 5000 });
    expect(row.client.busyPoll).toBeUndefined();
  });

  it('with one, the row stays ok, the client CPU figures are null and the row says why', () => {
    const row = summarizeModelRun({ ...spinning(raw(10, 200)), busyPoll: true });
    expect(row.status).toBe('ok');
    expect(row.client).toMatchObject({ cpuPercent: null, cpuUsPerMessage: null, cpuUsPerMessageBound: null, busyPoll: true });
    expect(row.client.rssPerClientBytes).not.toBeNull();
    expect(row.server.cpuUsPerMessage).toBe(500);
  });
});
