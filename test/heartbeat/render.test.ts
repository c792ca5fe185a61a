import { describe, expect, it } from 'vitest';
import { renderHeartbeatMarkdown, renderHeartbeatTable, renderProbe } from '../../src/heartbeat/render.js';
import type { HeartbeatResult } from '../../src/heartbeat/result.js';
import type { ProbeResult } from '../../src/heartbeat/probe.js';

const result: HeartbeatResult = {
  schemaVersion: 2,
  kind: 'heartbeat',
  tool: { name: 'connbench', version: '0.1.0' },
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
  complete: true,
  env: { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2, memoryBytes: 1 },
  settings: {
    clients: 20,
    idleTimeoutMs: 60_000,
    idleAction: 'fin',
    preset: { id: 'nginx', name: 'nginx reverse proxy', setting: 'proxy_read_timeout 60s (default)', source: 'https://nginx.org/' },
    timeScale: 60,
    observeMs: 180_000,
    safetyMargin: 0.5,
    detectWithinMs: 120_000,
    tcpKeepAliveMs: null,
    sseEcho: false,
  },
  models: [
    {
      model: 'sse',
      status: 'ok',
      intervals: [
        {
          intervalMs: 30_000,
          timeoutMs: 60_000,
          connections: { initial: 20, survived: 20, idleCuts: 0, opened: 0 },
          reconnects: 0,
          messages: { published: 10, expected: 200, delivered: 200, lost: 0, duplicates: 0 },
          heartbeatBytesPerConnectionPerMinute: 16,
          detection: {
            halfOpened: 20,
            clients: 20,
            client: { detected: 20, p50Ms: 80_000, maxMs: 89_000 },
            server: { detected: 0, p50Ms: null, maxMs: null },
          },
          serverHeartbeatTimeouts: 0,
          errors: {},
        },
      ],
      recommendation: {
        intervalMs: 30_000,
        timeoutMs: 60_000,
        measured: true,
        maxByIdleTimeoutMs: 30_000,
        maxByDetectionMs: 40_000,
        worstDetectionMs: 90_000,
        reasons: ['the nginx reverse proxy closes connections idle for 1m'],
        cost: [
          { connections: 10_000, heartbeatsPerSec: 333, bytesPerSec: 2667 },
          { connections: 100_000, heartbeatsPerSec: 3333, bytesPerSec: 26_667 },
          { connections: 1_000_000, heartbeatsPerSec: 33_333, bytesPerSec: 266_667 },
        ],
      },
    },
    {
      model: 'tcp',
      status: 'failed',
      error: { code: 'CB_ERR_CHILD_EXITED', message: 'server process exited' },
      intervals: [],
      recommendation: null,
    },
  ],
};

describe('heartbeat renderers', () => {
  it('prints a table per model, in real units, with the recommendation and its cost', () => {
    const t = renderHeartbeatTable(result);
    expect(t).toContain('nginx reverse proxy (nginx) that closes with FIN after 1m idle');
    expect(t).toContain('time scale 60×');
    expect(t).toMatch(/30s\s+│\s+1m\s+│\s+20\/20\s+│\s+0\s+│\s+0\s+│\s+0\s+│\s+16\s+│\s+80s \/ 89s\s+│\s+never/);
    expect(t).toContain('sse: heartbeat every 30s (timeout 1m)');
    expect(t).toContain(
      '10k connections: 333 heartbeats/s, 2.6 KiB/s; 100k connections: 3,333 heartbeats/s, 26.0 KiB/s; 1M connections: 33,333 heartbeats/s, 260.4 KiB/s',
    );
    expect(t).toContain('tcp: failed: server process exited');
    expect(t).toContain('sse without echo (--no-sse-echo): nothing flows from client to server');
  });

  it('says what SSE server-side detection costs when clients echo heartbeats', () => {
    const t = renderHeartbeatTable({ ...result, settings: { ...result.settings, sseEcho: true } });
    expect(t).toContain('sse clients echo every heartbeat with POST /events/alive');
  });

  it('prints the same as markdown, with the preset source', () => {
    const md = renderHeartbeatMarkdown(result);
    expect(md).toContain('# Heartbeat lab');
    expect(md).toContain('([source](https://nginx.org/))');
    expect(md).toContain('| interval | timeout | kept |');
    expect(md).toContain('| 30s | 1m | 20/20 | 0 | 0 | 0 | 16 | 80s / 89s | never |');
    expect(md).toContain('**sse: heartbeat every 30s (timeout 1m)**');
    expect(md).toContain('- cost: 10k connections');
  });

  it('prints the probe answer with its resolution first', () => {
    const probe: ProbeResult = {
      schemaVersion: 1,
      kind: 'heartbeat-probe',
      via: 'http://127.0.0.1:8088/',
      startedAt: '',
      finishedAt: '',
      idleTimeoutMs: 2003,
      survivedMs: 1753,
      resolutionMs: 250,
      maxMs: 8000,
      cutBy: 'fin',
      status: null,
      attempts: [
        { silenceMs: 1753, survived: true },
        { silenceMs: 2000, survived: false, cutBy: 'fin', cutAfterMs: 2003 },
      ],
    };
    const text = renderProbe(probe);
    expect(text.split('\n')[0]).toBe('idle timeout: 2.0s (resolution 250ms)');
    expect(text).toContain('the path closed (FIN)');
    expect(text).toContain('probes: 1.8s ok, 2s cut at 2.0s');
    expect(renderProbe({ ...probe, idleTimeoutMs: null }).split('\n')[0]).toBe(
      'idle timeout: more than 8.0s (nothing was cut up to --max)',
    );
  });
});
