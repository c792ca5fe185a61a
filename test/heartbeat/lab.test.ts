import { describe, expect, it } from 'vitest';
import { runHeartbeatLab } from '../../src/heartbeat/lab.js';
import { planLab } from '../../src/heartbeat/plan.js';
import type { HeartbeatModelResult } from '../../src/heartbeat/result.js';
import { MODEL_IDS, type ModelId } from '../../src/models/index.js';

/**
 * The lab end to end, through forked server and client processes and the fault proxy, with a
 * 600 ms idle timeout in real time (time scale 1). Models run side by side to keep the suite short.
 * The children run from dist/: `npm test` builds first.
 */
const IDLE_MS = 600;
const CLIENTS = 8;
/** Timers, scheduling on 2 busy cores and reconnect backoff: what detection may take beyond interval + timeout. */
const TOLERANCE_MS = 300;

async function sweep(
  models: readonly ModelId[],
  flags: { intervals: string; heartbeatTimeout?: string; idleAction?: string; sseEcho?: boolean },
): Promise<HeartbeatModelResult[]> {
  const runs = models.map((model) =>
    runHeartbeatLab({
      plan: planLab({
        model,
        idleTimeout: `${IDLE_MS}ms`,
        timeScale: '1',
        clients: String(CLIENTS),
        observe: `${3 * IDLE_MS}ms`,
        ...flags,
      }),
    }),
  );
  return (await Promise.all(runs)).map((r) => r.models[0]!);
}

describe('heartbeat lab through the fault proxy (idle timeout 600 ms)', () => {
  it('with an interval shorter than the idle timeout, every model keeps every connection for 3 idle timeouts, and both sides record a half-open peer within interval + timeout', async () => {
    const intervalMs = 200;
    const timeoutMs = 400;
    const flags = { intervals: `${intervalMs}ms`, heartbeatTimeout: `${timeoutMs}ms` };
    const [results, [sseWithoutEcho]] = await Promise.all([sweep(MODEL_IDS, flags), sweep(['sse'], { ...flags, sseEcho: false })]);
    for (const m of results) {
      expect(m.status, `${m.model}: ${m.error?.message}`).toBe('ok');
      const r = m.intervals[0]!;
      expect(r.connections.initial, m.model).toBeGreaterThanOrEqual(CLIENTS);
      expect(r.connections.survived, m.model).toBe(r.connections.initial);
      expect(r.connections.idleCuts, m.model).toBe(0);
      expect(r.reconnects, m.model).toBe(0);
      expect(r.messages.lost, m.model).toBe(0);
      expect(r.messages.expected, m.model).toBeGreaterThan(0);
      expect(r.heartbeatBytesPerConnectionPerMinute, m.model).toBeGreaterThan(0);
      const d = r.detection;
      expect(d.clients, m.model).toBe(CLIENTS);
      expect(d.halfOpened, m.model).toBeGreaterThanOrEqual(CLIENTS);
      // Each side's own heartbeat check declared every peer dead, within interval + timeout.
      for (const side of [d.client, d.server]) {
        expect(side.detected, m.model).toBe(CLIENTS);
        expect(side.maxMs!, m.model).toBeLessThanOrEqual(intervalMs + timeoutMs + TOLERANCE_MS);
      }
      expect(r.serverHeartbeatTimeouts, m.model).toBeGreaterThanOrEqual(CLIENTS);
      expect(m.recommendation?.intervalMs, m.model).toBe(intervalMs);
    }
    // Without the echo nothing flows upstream on an event stream: its server never notices.
    const r = sseWithoutEcho!.intervals[0]!;
    expect(r.connections.survived).toBe(r.connections.initial);
    expect(r.detection.client.detected).toBe(CLIENTS);
    expect(r.detection.server.detected).toBe(0);
    expect(r.serverHeartbeatTimeouts).toBe(0);
    expect(r.heartbeatBytesPerConnectionPerMinute).toBeLessThan(
      results.find((m) => m.model === 'sse')!.intervals[0]!.heartbeatBytesPerConnectionPerMinute,
    );
  });

  it('with an interval longer than the idle timeout, every model loses its connections, reconnects, and loses no message', async () => {
    const results = await sweep(MODEL_IDS, { intervals: '900ms' });
    for (const m of results) {
      expect(m.status, `${m.model}: ${m.error?.message}`).toBe('ok');
      const r = m.intervals[0]!;
      expect(r.connections.initial, m.model).toBeGreaterThanOrEqual(CLIENTS);
      expect(r.connections.survived, m.model).toBe(0);
      expect(r.connections.idleCuts, m.model).toBeGreaterThanOrEqual(r.connections.initial);
      // New connections replace the cut ones (short polling's pool does it without a session reconnect).
      expect(r.connections.opened, m.model).toBeGreaterThanOrEqual(r.connections.initial);
      expect(r.messages.expected, m.model).toBeGreaterThan(0);
      expect(r.messages.lost, m.model).toBe(0);
      expect(r.messages.delivered, m.model).toBe(r.messages.expected);
      expect(m.recommendation?.measured, m.model).toBe(false);
    }
    for (const m of results.filter((x) => x.model !== 'short-poll')) expect(m.intervals[0]!.reconnects, m.model).toBeGreaterThan(0);
  });

  it('with a silent intermediary, clients notice the dead connection themselves, reconnect and lose nothing', async () => {
    const [m] = await sweep(['websocket'], { intervals: '900ms', idleAction: 'silent' });
    expect(m!.status, m!.error?.message).toBe('ok');
    const r = m!.intervals[0]!;
    expect(r.connections.survived).toBe(0);
    expect(r.reconnects).toBeGreaterThan(0);
    expect(r.messages.lost).toBe(0);
    expect(r.errors.CB_ERR_HEARTBEAT_TIMEOUT).toBeGreaterThan(0);
  });
});
