import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { runScenario } from '../../src/runner/run.js';
import { openFilesLimit } from '../../src/metrics/limits.js';
import { isUncertain } from '../../src/report/uncertain.js';

const PAYLOAD_BYTES = 128;
const KiB = 1024;

describe('resource metrics of a real run (issue 4 sanity bounds)', () => {
  it('reports memory, CPU, wire and connect figures with sane values for every model', async () => {
    const points = expandMatrix(
      validateScenario({
        name: 'resources',
        clients: 500,
        rampUp: '500ms',
        warmup: '500ms',
        duration: '2s',
        workload: { pattern: 'broadcast', rate: '10/s', payload: `${PAYLOAD_BYTES}B` },
        shortPoll: { interval: '1s' },
        longPoll: { hold: '20s' },
        heartbeat: { interval: '500ms', timeout: '2s' },
      }),
    );
    const result = await runScenario(points, { limits: { openFilesLimit: openFilesLimit() } });
    expect(result.complete).toBe(true);
    for (const m of result.models) {
      const at = `${m.model}`;
      expect(m.status, `${at}: ${m.statusReason}`).not.toBe('failed');
      expect(m.clients.connected, at).toBe(500);
      expect(m.messages.lost, at).toBe(0);
      // Memory per connection: fresh server vs all connected, both after forced GC. At 500
      // connections the allocator may move the server's RSS by more than they cost: a figure that
      // small must then be one the reports mark as uncertain, never one they print as exact.
      const rss = m.server.rssPerConnectionBytes!;
      if (rss < 0.5 * KiB)
        expect(isUncertain(m, 'server.rssPerConnectionBytes'), `${at}: ${rss} B, bound ${m.server.rssPerConnectionBytesBound} B`).toBe(
          true,
        );
      expect(m.server.rssPerConnectionBytes, at).toBeLessThanOrEqual(200 * KiB);
      expect(m.server.heapPerConnectionBytes, at).toBeGreaterThan(0);
      expect(m.server.peakRssBytes, at).toBeGreaterThan(m.server.rssPerConnectionBytes! * 500);
      expect(m.server.openSockets, at).toBeGreaterThanOrEqual(500);
      // No healthy client is taken for dead: no pong, echo or next poll went missing.
      expect(m.server.deadPeers, at).toBe(0);
      expect(m.client.rssPerClientBytes, at).toBeGreaterThan(0);
      expect(m.client.rssPerClientBytes, at).toBeLessThanOrEqual(1024 * KiB);
      // CPU during the measured window.
      expect(m.server.cpuPercent, at).toBeGreaterThan(0);
      expect(m.server.cpuUsPerMessage, at).toBeGreaterThan(0);
      expect(m.client.cpuUsPerMessage, at).toBeGreaterThan(0);
      expect(m.client.eventLoopDelayP99Ms, at).toBeGreaterThan(0);
      // Wire: the payload travels in every message, headers and frames on top.
      expect(m.wire.serverBytesPerMessage, at).toBeGreaterThanOrEqual(PAYLOAD_BYTES);
      // Connect time: from starting a connection to the subscription.
      expect(m.connectMs.p50, at).toBeGreaterThan(0);
      expect(m.connectMs.max, at).toBeGreaterThanOrEqual(m.connectMs.p50!);
      // Bounds: at least the two pages of RSS granularity over the 500 connections, and never negative.
      expect(m.server.rssPerConnectionBytesBound, at).toBeGreaterThanOrEqual(Math.floor((2 * 4096) / 500));
      expect(m.client.rssPerClientBytesBound, at).toBeGreaterThanOrEqual(Math.floor((2 * 4096) / 500));
      expect(m.server.cpuUsPerMessageBound, at).toBeGreaterThanOrEqual(0);
      expect(m.client.cpuUsPerMessageBound, at).toBeGreaterThanOrEqual(0);
      // The publisher's own lateness over the window's 20 messages (10/s for 2 s), in order; a p99
      // of 20 messages is not a figure (null), the maximum under another name.
      const lag = m.server.publishLagUs!;
      expect(lag, at).not.toBeNull();
      expect(lag.p50, at).toBeGreaterThanOrEqual(0);
      expect(lag.p99, at).toBeNull();
      expect(lag.max, at).toBeGreaterThanOrEqual(lag.p50!);
      // Each message is handed on after it left: its handoff is its lateness and the server's path on top.
      const handoff = m.server.publishHandoffUs!;
      expect(handoff, at).not.toBeNull();
      expect(handoff.p50, at).toBeGreaterThanOrEqual(lag.p50!);
      expect(handoff.max, at).toBeGreaterThanOrEqual(lag.max);
    }
    const by = Object.fromEntries(result.models.map((m) => [m.model, m]));
    // Polling pays in requests; the streaming models make none after connecting.
    expect(by['short-poll']!.wire.requestsPerMessage).toBeGreaterThan(0);
    expect(by['long-poll']!.wire.requestsPerMessage).toBeGreaterThan(0);
    for (const id of ['sse', 'websocket', 'tcp']) expect(by[id]!.wire.requestsPerMessage, id).toBe(0);
    // Heartbeats every 500 ms: the streaming models' pings and comments are counted.
    for (const id of ['sse', 'websocket', 'tcp']) expect(by[id]!.wire.heartbeatBytesPerConnectionPerMinute, id).toBeGreaterThan(0);
  }, 120_000);
});
