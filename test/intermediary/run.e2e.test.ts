import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { SCHEMA_VERSION, type ModelResult, type RunResult } from '../../src/report/result.js';
import { freeLoopbackPort } from '../../src/util/loopback.js';

/**
 * TLS, keep-alive off and real intermediaries through the real runner (the built CLI), small: a few
 * clients, half a second measured. nginx (with its stream module) and HAProxy are Debian's; .ci/run
 * installs them.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'connbench-paths-'));
const SMALL =
  'rampUp: 100ms\nwarmup: 300ms\nduration: 500ms\ndrainTimeout: 3s\nheartbeat: { interval: 2s, timeout: 4s }\nworkload: { rate: 20/s, payload: 64B }\n';

/** SMALL with `extra`'s top-level keys in place of its own. */
function scenario(name: string, extra: string): string {
  const file = path.join(dir, `${name}.yaml`);
  const keys = new Set(extra.split('\n').map((l) => l.split(':')[0]));
  const base = SMALL.split('\n').filter((l) => l && !keys.has(l.split(':')[0]));
  writeFileSync(file, `name: ${name}\n${base.join('\n')}\n${extra}`);
  return file;
}

function runResult(args: string[], timeoutMs: number): { status: number | null; stderr: string; result: RunResult } {
  const out = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
  const r = runCli(['run', ...args, '--out', out, '--quiet'], timeoutMs);
  return { status: r.status, stderr: r.stderr, result: JSON.parse(readFileSync(out, 'utf8')) as RunResult };
}

function expectEveryMessageOnce(m: ModelResult): void {
  const at = `${m.model} ${JSON.stringify(m.matrix)}: ${m.statusReason ?? ''}`;
  expect(m.status, at).not.toBe('failed');
  expect(m.messages.expected, at).toBeGreaterThan(0);
  expect(m.messages.lost, at).toBe(0);
  expect(m.messages.duplicates, at).toBe(0);
  expect(m.messages.delivered, at).toBe(m.messages.expected);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('every model over TLS, direct and through nginx and HAProxy terminating it', () => {
  it('delivers every message once, reports the handshakes and the proxy, and leaves no proxy running', () => {
    // Short polls every 100 ms, so that some fall in the half-second window the proxy's CPU is read over.
    const file = scenario('tls-paths', 'intermediary: { buffering: off }\nshortPoll: { interval: 100ms }\n');
    const { status, stderr, result } = runResult([file, '--clients', '3', '--tls', 'on', '--intermediary', 'none,nginx,haproxy'], 420_000);
    expect(status, stderr).toBe(0);
    expect(result.schemaVersion).toBe(SCHEMA_VERSION);
    expect(result.models).toHaveLength(15);
    for (const m of result.models) {
      expectEveryMessageOnce(m);
      const proxy = m.matrix['intermediary.proxy'];
      expect(m.tls).toMatchObject({ enabled: true, protocol: 'TLSv1.3' });
      expect(m.tls.handshakes).toBeGreaterThanOrEqual(3);
      expect(m.tls.fullHandshakeMs.p50).toBeGreaterThan(0);
      expect(m.connectMs.tls.p50).toBeGreaterThan(0);
      expect(m.connectMs.tcp.p50).toBeGreaterThan(0);
      expect(m.proxy.kind).toBe(proxy);
      if (proxy === 'none') {
        expect(m.proxy.version).toBe(null);
        continue;
      }
      expect(m.proxy.version).toMatch(proxy === 'nginx' ? /^nginx\// : /^HAProxy /);
      expect(m.proxy.rssPerConnectionBytes).not.toBe(null);
      expect(m.proxy.cpuUsPerMessage).toBeGreaterThan(0);
      const row = m.processes?.find((p) => p.role === 'proxy');
      expect(row?.pid).toBeGreaterThan(0);
      expect(alive(row!.pid), `${proxy} pid ${row!.pid} still running`).toBe(false);
    }
  }, 480_000);
});

describe('HTTP keep-alive off', () => {
  it('opens a connection per poll, which the server closes: connections per second and TIME_WAIT on the server side, nothing lost', () => {
    const file = scenario(
      'keep-alive-off',
      'models: [short-poll, long-poll]\nshortPoll: { interval: 100ms, keepAlive: off }\nlongPoll: { keepAlive: off }\n',
    );
    const { status, stderr, result } = runResult([file, '--clients', '4'], 120_000);
    expect(status, stderr).toBe(0);
    for (const m of result.models) {
      expectEveryMessageOnce(m);
      expect(m.connections.openedPerSec, m.model).toBeGreaterThan(4);
      expect(m.connections.opened, m.model).toBeGreaterThan(m.clients.connected);
      expect(m.connections.timeWaitServer, m.model).toBeGreaterThan(0);
      expect(m.wire.requestsPerMessage, m.model).toBeGreaterThan(0);
    }
  }, 150_000);
});

/** Processes under `root` (by parent pid), with their command names. */
function descendants(root: number): { pid: number; ppid: number; comm: string }[] {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        return [{ pid: Number(d), comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) }];
      } catch {
        return [];
      }
    });
  const out: typeof all = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = all.filter((p) => frontier.includes(p.ppid));
    out.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return out;
}

describe('an intermediary that dies mid-run', () => {
  it('fails its model with its own words, the run goes on with a fresh one, and nothing is left running', async () => {
    const file = scenario('proxy-dies', 'models: [websocket, tcp]\nduration: 4s\nintermediary: nginx\n');
    const out = path.join(dir, 'dies.json');
    const cli = spawn(process.execPath, [BIN, 'run', file, '--clients', '3', '--out', out, '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    // nginx's master: started by connbench's keeper shell, under the CLI.
    let killed: number[] = [];
    const deadline = Date.now() + 60_000;
    while (killed.length === 0 && Date.now() < deadline) {
      const tree = descendants(cli.pid!);
      const master = tree.find((p) => p.comm === 'nginx' && tree.some((q) => q.pid === p.ppid && q.comm === 'sh'));
      if (master && tree.some((p) => p.comm === 'node' && /worker/.test(readFileSync(`/proc/${p.pid}/cmdline`, 'utf8')))) {
        // Once the clients are on their way: the model is past starting.
        await new Promise((r) => setTimeout(r, 1500));
        killed = [master.pid, ...tree.filter((p) => p.ppid === master.pid).map((p) => p.pid)];
        process.kill(master.pid, 'SIGKILL');
      } else await new Promise((r) => setTimeout(r, 50));
    }
    expect(killed.length, 'found nginx under the CLI').toBeGreaterThan(0);
    expect(await exited, stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    const [ws, tcp] = result.models;
    expect(ws!.status).toBe('failed');
    expect(ws!.error?.code).toBe('CB_ERR_PROXY_EXITED');
    expect(ws!.error?.message).toMatch(/^nginx nginx\/\S+ \(pid \d+\) was killed by SIGKILL/);
    expectEveryMessageOnce(tcp!);
    expect(tcp!.proxy.kind).toBe('nginx');
    for (const pid of [...killed, ...(tcp!.processes ?? []).filter((p) => p.role === 'proxy').map((p) => p.pid)])
      expect(alive(pid), `pid ${pid}`).toBe(false);
    expect(descendants(cli.pid!)).toEqual([]);
  }, 120_000);
});

describe('an intermediary of your own (via)', () => {
  it('clients connect to it, it forwards to the ports the run listens on', async () => {
    // Free ports for the run's server to listen on, and a plain TCP forwarder in front of each.
    const upstream = await Promise.all([freeLoopbackPort(), freeLoopbackPort()]);
    let forwarded = 0;
    const forwarders = upstream.map((port) =>
      net.createServer((c) => {
        forwarded++;
        const u = net.connect({ host: '127.0.0.1', port });
        c.pipe(u).pipe(c);
        c.on('error', () => u.destroy());
        u.on('error', () => c.destroy());
      }),
    );
    const front = await Promise.all(
      forwarders.map((f) => new Promise<number>((r) => f.listen(0, '127.0.0.1', () => r((f.address() as net.AddressInfo).port)))),
    );
    try {
      const file = scenario(
        'via',
        `models: [websocket, tcp]\nintermediary: { via: "http://127.0.0.1:${front[0]}", viaTcp: "127.0.0.1:${front[1]}", upstream: { http: ${upstream[0]}, tcp: ${upstream[1]} } }\n`,
      );
      const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const out = path.join(dir, 'via.json');
        const cli = spawn(process.execPath, [BIN, 'run', file, '--clients', '3', '--out', out, '--quiet'], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        cli.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
        cli.once('exit', (status) => resolve({ status, stderr }));
      });
      expect(r.status, r.stderr).toBe(0);
      const result = JSON.parse(readFileSync(path.join(dir, 'via.json'), 'utf8')) as RunResult;
      for (const m of result.models) {
        expectEveryMessageOnce(m);
        expect(m.proxy).toMatchObject({ kind: 'via', version: null, rssPerConnectionBytes: null });
      }
      expect(forwarded).toBeGreaterThanOrEqual(6);
    } finally {
      for (const f of forwarders) f.close();
    }
  }, 120_000);
});
