import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HeartbeatResult } from '../../src/heartbeat/result.js';
import { waitFor } from '../helpers/harness.js';

/** The CLI runs from dist/: `npm test` builds first. */
const BIN = path.resolve('bin/connbench.js');
const run = (args: string[], timeoutMs = 60_000) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs });

describe('connbench heartbeat (CLI)', () => {
  it('refuses bad input with exit 2 and the reason', () => {
    const preset = run(['heartbeat', '--preset', 'nope']);
    expect(preset.status).toBe(2);
    expect(preset.stderr).toContain('unknown preset "nope"');
    expect(preset.stderr).toContain('nginx, aws-alb, heroku, cloudflare, azure-lb, aws-nlb, envoy');
    const interval = run(['heartbeat', '--idle-timeout', '60s', '--intervals', '30s,45s', '--heartbeat-timeout', '40s']);
    expect(interval.status).toBe(2);
    expect(interval.stderr).toContain('the interval 45s is not shorter than its heartbeat timeout 40s');
    expect(run(['heartbeat', '--idle-timeout', '60s', '--intervals', 'often']).status).toBe(2);
    expect(run(['heartbeat', 'probe']).status).toBe(2);
  });

  it('lists the presets with their sources', () => {
    const r = run(['heartbeat', 'presets']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/azure-lb\s+4m\s+silent/);
    expect(r.stdout).toContain('https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_read_timeout');
  });

  it('sweeps one model and prints the result JSON it also wrote', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'connbench-hb-')), 'hb.json');
    const r = run([
      'heartbeat',
      '--model',
      'tcp',
      // Half a second of slack on each side of the 600 ms cut: the suite's other files load the
      // cores, and a proxy or heartbeat late by a few hundred ms would turn the verdicts around.
      '--idle-timeout',
      '600ms',
      '--intervals',
      '100ms,1200ms',
      '--clients',
      '3',
      '--time-scale',
      '1',
      '--observe',
      '1500ms',
      '--json',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as HeartbeatResult;
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(printed);
    expect(printed).toMatchObject({
      schemaVersion: 2,
      kind: 'heartbeat',
      complete: true,
      settings: { idleTimeoutMs: 600, idleAction: 'fin', timeScale: 1 },
    });
    const [m] = printed.models;
    expect(m!.intervals.map((i) => i.intervalMs)).toEqual([100, 1200]);
    expect(m!.intervals[0]!.connections.survived).toBe(3);
    expect(m!.intervals[1]!.connections.survived).toBe(0);
    expect(m!.recommendation).toMatchObject({ intervalMs: 100, measured: true });
    expect(m!.recommendation!.cost.map((c) => c.connections)).toEqual([10_000, 100_000, 1_000_000]);
  });
});

describe('connbench proxy (CLI)', () => {
  it('refuses a bad forward with exit 2', () => {
    const r = run(['proxy', '--forward', 'nowhere']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('LISTEN_PORT:TARGET_HOST:TARGET_PORT');
    expect(run(['proxy', '--forward', '0:1', '--idle-action', 'explode']).status).toBe(2);
  });

  it('forwards to its target, cuts idle connections, and reports on SIGTERM', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const target = (echo.address() as net.AddressInfo).port;
    const proxy = spawn(process.execPath, [BIN, 'proxy', '--forward', `0:127.0.0.1:${target}`, '--idle-timeout', '300ms'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      proxy.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => /127\.0\.0\.1:(\d+) →/.test(out), `the proxy to print its port (so far: ${out})`, 15_000);
      expect(out).toContain('idle 300ms → fin');
      const port = Number(/127\.0\.0\.1:(\d+) →/.exec(out)![1]);
      const c = net.connect({ host: '127.0.0.1', port });
      let got = '';
      let ended = false;
      c.on('data', (d) => (got += d.toString()));
      c.on('end', () => (ended = true));
      c.write('ping');
      await waitFor(() => got === 'ping', 'the echo through the proxy');
      await waitFor(() => ended, 'the idle cut', 5000);
      c.destroy();
      const exited = new Promise<number | null>((r) => proxy.once('exit', (code) => r(code)));
      proxy.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(out).toMatch(/1 connections, 1 idle cuts/);
    } finally {
      if (proxy.exitCode === null) proxy.kill('SIGKILL');
      await new Promise<void>((r) => echo.close(() => r()));
    }
  });
});
