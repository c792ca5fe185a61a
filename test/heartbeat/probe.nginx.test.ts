import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from '../helpers/harness.js';
import { acceptsOnLoopback, freeLoopbackPort } from '../../src/util/loopback.js';

/**
 * `connbench heartbeat probe` against a real nginx (Debian's package; .ci/run installs it) with
 * proxy_read_timeout 2s, in front of `connbench serve`. Both run on loopback ports and are
 * started and stopped here, by pid. The CLI runs from dist/: `npm test` builds first.
 */
const BIN = path.resolve('bin/connbench.js');
const READ_TIMEOUT_S = 2;
const RESOLUTION_MS = 250;

const children: ChildProcess[] = [];
let viaUrl = '';
let servePort = 0;
let dir = '';

function nginxBinary(): string {
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(p)) return p;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  throw new Error('nginx is not installed: `apt-get install -y --no-install-recommends nginx` (.ci/run does this)');
}

async function waitUntilAccepting(port: number, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await acceptsOnLoopback(port))) {
    if (Date.now() > deadline) throw new Error(`${what} did not accept on port ${port} within 15 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function nginxConf(listenPort: number, upstreamPort: number): string {
  const root = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${root}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout ${READ_TIMEOUT_S}s;
    }
  }
}
`;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'connbench-nginx-'));
  mkdirSync(path.join(dir, 'logs'));
  const serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--tcp-port', '0', '--rate', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(serve);
  let out = '';
  serve.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(
    () => /http:\/\/127\.0\.0\.1:(\d+)\/poll/.test(out),
    `connbench serve to print its address (stdout so far: ${out})`,
    15_000,
  );
  servePort = Number(/http:\/\/127\.0\.0\.1:(\d+)\/poll/.exec(out)![1]);
  const nginxPort = await freeLoopbackPort();
  writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(nginxPort, servePort));
  const nginx = spawn(nginxBinary(), ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(nginx);
  let nginxErr = '';
  nginx.stderr!.on('data', (d: Buffer) => (nginxErr += d.toString()));
  nginx.once('exit', (code) => {
    if (code !== null && code !== 0) nginxErr += `\n(nginx exited with ${code})`;
  });
  try {
    await waitUntilAccepting(nginxPort, 'nginx');
  } catch (err) {
    const log = existsSync(path.join(dir, 'error.log')) ? readFileSync(path.join(dir, 'error.log'), 'utf8') : '';
    throw new Error(`${(err as Error).message}\n${nginxErr}\n${log}`);
  }
  viaUrl = `http://127.0.0.1:${nginxPort}/`;
}, 30_000);

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    // nginx stops on SIGTERM (fast shutdown), connbench serve on SIGTERM too.
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }
});

function connbench(args: string[], timeoutMs = 60_000) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
}

describe('connbench heartbeat probe through a real nginx', () => {
  it(`finds proxy_read_timeout ${READ_TIMEOUT_S}s within the stated resolution`, () => {
    const r = connbench(['heartbeat', 'probe', '--via', viaUrl, '--resolution', `${RESOLUTION_MS}ms`, '--start', '500ms', '--max', '8s']);
    expect(r.status, r.stderr).toBe(0);
    const m = /^idle timeout: (\d+(?:\.\d+)?)s \(resolution 250ms\)$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const foundMs = Number(m![1]) * 1000;
    expect(Math.abs(foundMs - READ_TIMEOUT_S * 1000), r.stdout).toBeLessThanOrEqual(RESOLUTION_MS + 50);
    // nginx closes a stream it stopped reading from (no RST, and no error status once the answer began).
    expect(r.stdout).toMatch(/the path closed \(FIN\)/);
  });

  it('answers with JSON: the estimate lies between the longest silence that survived and the resolution above it', () => {
    const r = connbench(['heartbeat', 'probe', '--via', viaUrl, '--resolution', '500ms', '--start', '1s', '--max', '4s', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      kind: string;
      schemaVersion: number;
      idleTimeoutMs: number;
      survivedMs: number;
      attempts: { survived: boolean }[];
    };
    expect(j.kind).toBe('heartbeat-probe');
    expect(j.schemaVersion).toBe(1);
    expect(j.idleTimeoutMs - j.survivedMs).toBeLessThanOrEqual(500);
    // A silence of exactly the timeout may survive: nginx's timer starts when it has read the
    // answer's first bytes, a moment after `serve` starts the silence (seen once: survived 2000 ms).
    expect(j.survivedMs).toBeLessThanOrEqual(READ_TIMEOUT_S * 1000 + 50);
    expect(j.idleTimeoutMs).toBeGreaterThanOrEqual(READ_TIMEOUT_S * 1000 - 50);
    expect(j.idleTimeoutMs).toBeLessThanOrEqual(READ_TIMEOUT_S * 1000 + 500 + 50);
    expect(j.attempts.some((a) => a.survived) && j.attempts.some((a) => !a.survived)).toBe(true);
  });

  it('exits 2 with the reason for an unreachable --via, and for a path that does not lead to connbench serve', async () => {
    const deadPort = await freeLoopbackPort();
    const r = connbench(['heartbeat', 'probe', '--via', `http://127.0.0.1:${deadPort}/`]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/: ECONNREFUSED/);
    expect(r.stderr).toContain('CB_ERR_VIA_UNREACHABLE');
    const wrong = connbench(['heartbeat', 'probe', '--via', `http://127.0.0.1:${servePort}/nothing-here/`]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('CB_ERR_VIA_NOT_CONNBENCH');
    expect(connbench(['heartbeat', 'probe', '--via', 'not a url']).status).toBe(2);
  });
});
