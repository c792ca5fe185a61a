import { MODEL_IDS } from '../../src/models/index.js';
import { describe, expect, it } from 'vitest';
import { defaultIntervalsMs, niceFloorMs, niceMs, planLab } from '../../src/heartbeat/plan.js';
import { PRESETS, getPreset } from '../../src/heartbeat/presets.js';
import { ConnbenchError } from '../../src/util/errors.js';

function inputErrorOf(f: () => unknown): ConnbenchError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConnbenchError);
    expect((err as ConnbenchError).kind).toBe('input');
    return err as ConnbenchError;
  }
  throw new Error('expected an input error');
}

describe('heartbeat presets', () => {
  it('holds the published defaults, each with a source', () => {
    const byId = Object.fromEntries(PRESETS.map((p) => [p.id, p]));
    expect(byId.nginx!.idleTimeoutMs).toBe(60_000);
    expect(byId['aws-alb']!.idleTimeoutMs).toBe(60_000);
    expect(byId.heroku!.idleTimeoutMs).toBe(55_000);
    expect(byId.cloudflare!.idleTimeoutMs).toBe(100_000);
    expect(byId['azure-lb']).toMatchObject({ idleTimeoutMs: 240_000, idleAction: 'silent' });
    expect(byId['aws-nlb']!.idleTimeoutMs).toBe(350_000);
    expect(byId.envoy!.idleTimeoutMs).toBe(300_000);
    for (const p of PRESETS) expect(p.source).toMatch(/^https:\/\//);
  });

  it('refuses an unknown preset and lists them all', () => {
    const e = inputErrorOf(() => getPreset('ngnix'));
    expect(e.message).toContain('did you mean "nginx"');
    for (const p of PRESETS) expect(e.hint).toContain(p.id);
  });
});

describe('planLab', () => {
  it('has SSE clients echo heartbeats unless --no-sse-echo', () => {
    expect(planLab({ preset: 'nginx' }).sseEcho).toBe(true);
    expect(planLab({ preset: 'nginx', sseEcho: false }).sseEcho).toBe(false);
  });

  it('derives intervals, timeouts and an automatic time scale from a preset', () => {
    const p = planLab({ preset: 'nginx' });
    expect(p.idleTimeoutMs).toBe(60_000);
    expect(p.idleAction).toBe('fin');
    expect(p.intervals.map((i) => i.intervalMs)).toEqual([10_000, 15_000, 30_000, 45_000, 75_000]);
    expect(p.intervals.every((i) => i.timeoutMs === 2 * i.intervalMs)).toBe(true);
    expect(p.timeScale).toBe(60);
    expect(p.observeMs).toBe(180_000);
    expect(p.models).toEqual([...MODEL_IDS]);
  });

  it('takes explicit flags, with --idle-timeout overriding the preset', () => {
    const p = planLab({
      preset: 'azure-lb',
      idleTimeout: '30m',
      intervals: '1m,5m',
      heartbeatTimeout: '10m',
      timeScale: '10',
      model: 'sse,tcp',
      clients: '7',
    });
    expect(p).toMatchObject({ idleTimeoutMs: 1_800_000, idleAction: 'silent', timeScale: 10, clients: 7, models: ['sse', 'tcp'] });
    expect(p.intervals).toEqual([
      { intervalMs: 60_000, timeoutMs: 600_000 },
      { intervalMs: 300_000, timeoutMs: 600_000 },
    ]);
  });

  it('refuses an interval not shorter than its own timeout, naming both', () => {
    const e = inputErrorOf(() => planLab({ idleTimeout: '60s', intervals: '30s,45s', heartbeatTimeout: '40s' }));
    expect(e.message).toMatch(/45s is not shorter than its heartbeat timeout 40s/);
    expect(e.message).not.toMatch(/30s is not/);
  });

  it('reports every problem at once', () => {
    const e = inputErrorOf(() => planLab({ preset: 'nope', model: 'pigeon', clients: '0', safetyMargin: '1.5' }));
    expect(e.message).toMatch(/unknown preset "nope"/);
    expect(e.message).toMatch(/unknown model "pigeon"/);
    expect(e.message).toMatch(/--clients/);
    expect(e.message).toMatch(/--safety-margin/);
    expect(e.hint).toContain('aws-nlb');
  });

  it('needs an idle timeout or a preset, and refuses a time scale that leaves too little time', () => {
    expect(inputErrorOf(() => planLab({})).message).toMatch(/--idle-timeout 60s or --preset nginx/);
    expect(inputErrorOf(() => planLab({ idleTimeout: '60s', intervals: '1s', timeScale: '100' })).message).toMatch(
      /use --time-scale 50 or less/,
    );
  });

  it('rounds intervals as a person would', () => {
    expect(niceMs(9166.7)).toBe(9170);
    expect(niceMs(13_750)).toBe(14_000);
    expect(niceMs(66.67)).toBe(67);
    expect(niceFloorMs(35_820)).toBe(35_000);
    expect(niceFloorMs(159.9)).toBe(150);
    expect(niceFloorMs(7.9)).toBe(7);
    expect(defaultIntervalsMs(400)).toEqual([67, 100, 200, 300, 500]);
  });
});
