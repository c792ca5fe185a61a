import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BIN } from '../helpers/cli.js';
import { CLIENT_ARGS, SCENARIO_PATH, TARGET } from '../../deploy/kubernetes/manifests.js';
import type { ShardResult } from '../../src/runner/remote/shardResult.js';
import type { RunResult } from '../../src/report/result.js';

/**
 * Processes of a distributed run for the end-to-end tests: `connbench serve --control` and the
 * shards, each started directly or through a wrapper (`ip netns exec NS`, `unshare --time …`), each
 * bounded in time and stopped by the pid of the node process itself (a wrapper such as unshare
 * ignores SIGTERM while it waits for its child).
 */
export const TOKEN = 'e2e-token-0123456789abcdef';

/** `connbench <args>` to its end with the test's token (through `wrap`, e.g. `ip netns exec NS`), killed after timeoutMs. */
export function cli(args: string[], timeoutMs = 60_000, wrap: string[] = []) {
  const argv = [...wrap, process.execPath, BIN, ...args];
  return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, CONNBENCH_TOKEN: TOKEN } });
}

export interface Proc {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function spawnCli(args: string[], o: { wrap?: string[]; env?: Record<string, string> } = {}): Proc {
  const argv = [...(o.wrap ?? []), process.execPath, BIN, ...args];
  const proc = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CONNBENCH_TOKEN: TOKEN, ...o.env },
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** The node process a wrapper started (the wrapper's only child), or the process itself without a wrapper. */
function nodePidsOf(p: Proc, wrapped: boolean): number[] {
  if (!wrapped) return [p.proc.pid!];
  const r = spawnSync('pgrep', ['-P', String(p.proc.pid)], { encoding: 'utf8' });
  const kids = r.stdout.split('\n').filter(Boolean).map(Number);
  // `ip netns exec` execs its command in place: the pid is node's own.
  return kids.length > 0 ? kids : [p.proc.pid!];
}

/** Stops a process this test started: `signal` to node itself, SIGKILL after graceMs. */
export async function stop(p: Proc, o: { wrapped?: boolean; signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const pids = nodePidsOf(p, o.wrapped ?? false);
  const kill = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  kill(o.signal ?? 'SIGINT');
  const timer = setTimeout(() => kill('SIGKILL'), o.graceMs ?? 5000);
  await p.exited;
  clearTimeout(timer);
}

/** Resolves when the process has printed what `pattern` matches, or rejects after timeoutMs or at its exit. */
export function waitForOutput(p: Proc, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      const m = pattern.exec(p.stdout());
      if (m) return resolve(m);
      if (p.proc.exitCode !== null) return reject(new Error(`exited ${p.proc.exitCode} before printing ${pattern}: ${p.stderr()}`));
      if (Date.now() - started > timeoutMs)
        return reject(new Error(`nothing like ${pattern} within ${timeoutMs} ms: ${p.stdout()} ${p.stderr()}`));
      setTimeout(check, 50);
    };
    check();
  });
}

/** `serve --control` on port 0 of `host`; resolves with its control URL once it listens. */
export async function startControl(o: { host?: string; wrap?: string[]; env?: Record<string, string>; args?: string[] } = {}) {
  const host = o.host ?? '127.0.0.1';
  const p = spawnCli(['serve', '--control', '--host', host, '--port', '0', '--barrier-timeout', '60s', ...(o.args ?? [])], o);
  const m = await waitForOutput(p, /connbench control API: (http:\/\/\S+)/, 20_000);
  return { url: m[1]!, p };
}

/** What a client pod of deploy/kubernetes runs, with this test's scenario, server and shard in place of the pod's. */
export function podArgs(scenario: string, target: string, index: number, count: number, outDir: string): string[] {
  return CLIENT_ARGS.map((a) => {
    if (a === SCENARIO_PATH) return scenario;
    if (a === TARGET) return target;
    if (a.includes('$(JOB_COMPLETION_INDEX)')) return `${index}/${count}`;
    if (a.startsWith('/results')) return `${outDir}/`;
    return a;
  });
}

export interface ShardRunOptions {
  scenario: string;
  target: string;
  outDir: string;
  timeoutMs: number;
  wrapOf?: (i: number) => string[] | undefined;
  env?: Record<string, string>;
}

export interface ShardOutcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Starts shards 0 … count-1 at once (shard i through wrapOf(i)); `done` resolves when all have exited, each killed after timeoutMs. */
export function startShards(count: number, o: ShardRunOptions): { procs: Proc[]; done: Promise<ShardOutcome[]> } {
  const shards = Array.from({ length: count }, (_, i) => {
    const wrap = o.wrapOf?.(i);
    return {
      wrap,
      p: spawnCli(podArgs(o.scenario, o.target, i, count, o.outDir), { ...(wrap ? { wrap } : {}), ...(o.env ? { env: o.env } : {}) }),
    };
  });
  const timer = setTimeout(
    () => void Promise.all(shards.map((s) => stop(s.p, { wrapped: s.wrap !== undefined, signal: 'SIGKILL' }))),
    o.timeoutMs,
  );
  const done = Promise.all(shards.map((s) => s.p.exited)).then((codes) => {
    clearTimeout(timer);
    return shards.map((s, i) => ({ status: codes[i]!, stdout: s.p.stdout(), stderr: s.p.stderr() }));
  });
  return { procs: shards.map((s) => s.p), done };
}

export const runShards = (count: number, o: ShardRunOptions) => startShards(count, o).done;

/** The shard result files in a directory, by shard index. */
export function shardFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /-shard-\d+-of-\d+\.json$/.test(f))
    .sort((a, b) => Number(/-shard-(\d+)-/.exec(a)![1]) - Number(/-shard-(\d+)-/.exec(b)![1]))
    .map((f) => path.join(dir, f));
}

export const readShard = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as ShardResult;
export const readRun = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as RunResult;
