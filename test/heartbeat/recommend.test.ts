import { describe, expect, it } from 'vitest';
import { costAt, detectionOvershoot, recommend, worstDetectionMs } from '../../src/heartbeat/recommend.js';
import { bytesPerClientPerMinute, detectionStats } from '../../src/heartbeat/measure.js';
import type { HeartbeatIntervalResult } from '../../src/heartbeat/result.js';

function row(
  intervalMs: number,
  o: { kept?: boolean; clientMaxMs?: number; serverDetected?: number; bytes?: number; timeoutMs?: number } = {},
): HeartbeatIntervalResult {
  const kept = o.kept ?? true;
  const timeoutMs = o.timeoutMs ?? 2 * intervalMs;
  const clientMaxMs = o.clientMaxMs ?? intervalMs + timeoutMs - 100;
  return {
    intervalMs,
    timeoutMs,
    connections: { initial: 10, survived: kept ? 10 : 0, idleCuts: kept ? 0 : 10, opened: kept ? 0 : 10 },
    reconnects: kept ? 0 : 10,
    messages: { published: 10, expected: 100, delivered: 100, lost: 0, duplicates: 0 },
    heartbeatBytesPerConnectionPerMinute: o.bytes ?? (8 * 60_000) / intervalMs,
    detection: {
      halfOpened: 10,
      clients: 10,
      client: { detected: 10, p50Ms: clientMaxMs - 50, maxMs: clientMaxMs },
      server: {
        detected: o.serverDetected ?? 10,
        p50Ms: (o.serverDetected ?? 10) ? intervalMs + timeoutMs - 200 : null,
        maxMs: (o.serverDetected ?? 10) ? intervalMs + timeoutMs - 100 : null,
      },
    },
    serverHeartbeatTimeouts: 10,
    errors: {},
  };
}

const base = { idleTimeoutMs: 60_000, intermediary: 'nginx reverse proxy', safetyMargin: 0.5, detectWithinMs: 120_000, observeMs: 180_000 };

describe('recommend', () => {
  it('picks the longest interval that survived, within the safety margin and the detection target', () => {
    const r = recommend({ ...base, intervals: [row(10_000), row(15_000), row(30_000), row(45_000), row(75_000, { kept: false })] })!;
    expect(r.intervalMs).toBe(30_000);
    expect(r.timeoutMs).toBe(60_000);
    expect(r.measured).toBe(true);
    expect(r.maxByIdleTimeoutMs).toBe(30_000);
    expect(r.maxByDetectionMs).toBe(40_000);
    expect(r.worstDetectionMs).toBe(90_000);
    expect(r.reasons.join('\n')).toMatch(
      /closes connections idle for 1m; with a 50% safety margin a heartbeat must come at least every 30s/,
    );
    expect(r.reasons.join('\n')).toMatch(/75s: cut 10 time\(s\) by the idle timeout/);
    expect(r.reasons.join('\n')).toMatch(/45s: beyond the safety margin/);
    // 8 bytes per heartbeat every 30 s: 16 B per connection per minute.
    expect(r.cost).toEqual([
      { connections: 10_000, heartbeatsPerSec: 333, bytesPerSec: 2667 },
      { connections: 100_000, heartbeatsPerSec: 3333, bytesPerSec: 26_667 },
      { connections: 1_000_000, heartbeatsPerSec: 33_333, bytesPerSec: 266_667 },
    ]);
  });

  it('lets a tight detection target win over the idle timeout', () => {
    const r = recommend({ ...base, detectWithinMs: 45_000, intervals: [row(10_000), row(15_000), row(30_000)] })!;
    expect(r.intervalMs).toBe(15_000);
    expect(r.reasons.join('\n')).toMatch(/30s: a dead peer could go unnoticed for 1.5m|30s: a dead peer could go unnoticed for 90s/);
  });

  it('rejects an interval whose clients did not all notice the dead peer, and notes a server that cannot', () => {
    const slow = row(10_000);
    slow.detection.client.detected = 7;
    expect(worstDetectionMs(slow)).toBe(Infinity);
    const r = recommend({ ...base, intervals: [slow, row(5_000, { serverDetected: 0 })] })!;
    expect(r.intervalMs).toBe(5_000);
    expect(r.reasons.join('\n')).toMatch(/server never noticed/);
    expect(r.reasons.join('\n')).toMatch(/10s: not every dead peer was noticed/);
  });

  it('counts detection per client, not per connection (an echoing SSE client holds two)', () => {
    const sse = row(10_000);
    sse.detection.halfOpened = 20;
    expect(worstDetectionMs(sse)).toBe(30_000);
  });

  it('leaves room for checks the lab saw run late when it computes an interval, below the swept one they failed', () => {
    // The azure-lb case: a 4 min idle timeout, a 2 min target; 40 s + 80 s is exactly the target, and
    // the server noticed 134 s after the injection (its sweep runs a quarter-timeout tick late).
    const azure = { ...base, idleTimeoutMs: 240_000 };
    const late = row(40_000, { clientMaxMs: 134_000 });
    expect(detectionOvershoot([late, row(60_000)])).toBeCloseTo(134 / 120, 5);
    const r = recommend({ ...azure, intervals: [late, row(60_000, { clientMaxMs: 190_000 })] })!;
    expect(r.measured).toBe(false);
    expect(r.intervalMs).toBeLessThan(40_000);
    expect(r.intervalMs).toBe(35_000); // 35.8 s, rounded down
    expect(r.reasons.join('\n')).toMatch(/ran up to 12% late in the lab/);
    expect(r.reasons.join('\n')).toMatch(/--intervals 35s/);
    // On time: no overshoot, the plain arithmetic.
    expect(detectionOvershoot([row(40_000)])).toBe(1);
  });

  it('computes an unmeasured interval when nothing in the sweep qualifies', () => {
    const r = recommend({ ...base, intervals: [row(45_000), row(75_000, { kept: false })] })!;
    expect(r.measured).toBe(false);
    expect(r.intervalMs).toBe(30_000);
    expect(r.reasons.join('\n')).toMatch(/--intervals 30s/);
    expect(r.cost[0]!.heartbeatsPerSec).toBe(333);
  });

  it('prices a fleet', () => {
    expect(costAt(1000, 60)).toEqual([
      { connections: 10_000, heartbeatsPerSec: 10_000, bytesPerSec: 10_000 },
      { connections: 100_000, heartbeatsPerSec: 100_000, bytesPerSec: 100_000 },
      { connections: 1_000_000, heartbeatsPerSec: 1_000_000, bytesPerSec: 1_000_000 },
    ]);
  });
});

describe('measure', () => {
  it('times detection from the injection, in real time, earliest first', () => {
    const detected = [1_300_000, 1_100_000, 1_200_000];
    expect(detectionStats(detected, 1_000_000, 1)).toEqual({ detected: 3, p50Ms: 200, maxMs: 300 });
    expect(detectionStats([1_500_000], 1_000_000, 60)).toEqual({ detected: 1, p50Ms: 30_000, maxMs: 30_000 });
    expect(detectionStats([], 0, 1)).toEqual({ detected: 0, p50Ms: null, maxMs: null });
  });

  it('ignores detections before the injection, and counts at most one per peer', () => {
    // 900 ms: a connection declared dead before the injection (an idle cut), not part of it.
    const detected = [900_000, 1_400_000, 1_100_000, 1_900_000];
    expect(detectionStats(detected, 1_000_000, 1, 2)).toEqual({ detected: 2, p50Ms: 100, maxMs: 400 });
  });

  it('scales bytes per client to a real minute', () => {
    // 10 clients, 6000 bytes in a 1 s window that stands for 60 s: 600 B per client per minute.
    expect(bytesPerClientPerMinute(6000, 10, 1000, 60)).toBe(600);
    expect(bytesPerClientPerMinute(6000, 0, 1000, 60)).toBe(0);
  });
});
