import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { acceptsOnLoopback, freeLoopbackPort } from '../util/loopback.js';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import type { ListenerKind, Ports } from '../models/listeners.js';
import { haproxyConfig, nginxConfig, type IntermediaryConfigInput } from '../proxy/intermediaryConfig.js';
import { sampleProcessTree, type TreeSample } from '../metrics/processTree.js';
import { ConnbenchError, runError } from '../util/errors.js';
import { sleep } from '../util/sleep.js';
import type { ProxyBinary } from './binaries.js';
import type { CertificateSet } from './certificates.js';
import { killGroupOnExit, killProcessGroups } from './child.js';

/** How long the proxy may take to listen on every front port. */
const START_TIMEOUT_MS = 10_000;
/** After SIGTERM, how long before the whole group is killed. */
const STOP_GRACE_MS = 3000;
/** Log lines a failure quotes. */
const LOG_LINES = 8;

/**
 * Runs the proxy in a shell that exits with it, and that ends it when connbench goes away however
 * it goes (even SIGKILL): the shell holds connbench's end of a pipe on a spare descriptor, and a
 * reader waiting on it sees end-of-file then. The proxy itself never holds the pipe. The first
 * line out is the proxy's pid, for sampling its tree.
 */
const KEEPER = [
  '"$@" &',
  'child=$!',
  'echo "$child"',
  'exec 3<&0',
  '( read _ <&3; kill -TERM "$child" 2>/dev/null ) &',
  'wait "$child"',
  'code=$?',
  'kill $! 2>/dev/null',
  'exit $code',
].join('\n');

export interface IntermediaryOptions {
  binary: ProxyBinary;
  /** Each server process's ports, in member order. */
  upstream: Ports[];
  /** TLS terminated at the proxy. */
  tls?: CertificateSet;
  buffering: boolean;
  idleTimeoutMs: number;
  /** Client connections at the peak: sizes nginx's worker_connections and HAProxy's maxconn. */
  connections: number;
  /** Called once if the proxy exits before stop(), with why and its last log lines. */
  onFailure: (e: ConnbenchError) => void;
}

/**
 * nginx or HAProxy in front of every server port of one model run: connbench writes its config
 * into a folder of its own, checks it, starts the binary in a process group of its own (nginx's
 * workers outlive a killed master), waits until every front port accepts, and stops the whole
 * group after the model, on any failure and on connbench's exit.
 */
export class Intermediary {
  /** Where clients connect: the proxy's ports, one map per server process. */
  readonly front: Ports[];
  /** Set when the proxy exited on its own: why, with its last log lines. */
  failure: ConnbenchError | undefined;
  private proxyPid = 0;
  private stopping = false;
  private readonly exited: Promise<void>;
  private stderrTail = '';
  private releaseGroup: () => void = () => undefined;

  private constructor(
    private readonly o: IntermediaryOptions,
    private readonly dir: string,
    private readonly child: ChildProcess,
    front: Ports[],
  ) {
    this.front = front;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** The proxy's own pid (nginx's master); 0 until it is known. */
  get pid(): number {
    return this.proxyPid;
  }

  get version(): string {
    return this.o.binary.version;
  }

  get label(): string {
    return `${this.o.binary.version} (pid ${this.proxyPid || this.child.pid})`;
  }

  static async start(o: IntermediaryOptions): Promise<Intermediary> {
    const dir = mkdtempSync(path.join(tmpdir(), `connbench-${o.binary.kind}-`));
    let started: Intermediary | undefined;
    try {
      const front = await Promise.all(o.upstream.map(freePortsLike));
      const configFile = writeConfig(o, dir, front);
      checkConfig(o.binary, dir, configFile);
      const child = spawn('/bin/sh', ['-c', KEEPER, 'connbench-keeper', ...commandOf(o.binary, dir, configFile)], {
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      started = new Intermediary(o, dir, child, front);
      await started.watch();
      await started.listening();
      return started;
    } catch (err) {
      if (started) await started.stop();
      else rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The proxy's processes now (nginx: master and workers), or undefined once it is gone. */
  sample(): TreeSample | undefined {
    return this.proxyPid ? sampleProcessTree(this.proxyPid) : undefined;
  }

  /**
   * Ends the proxy (SIGTERM: nginx's fast stop, HAProxy's hard stop), then anything left of its
   * group (workers that outlived their master) with SIGKILL, waits until none of it runs, and
   * removes its folder.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const pgid = this.child.pid;
    if (pgid !== undefined) {
      // The proxy first: the keeper shell exits when it has.
      if (this.proxyPid) signalProcess(this.proxyPid, 'SIGTERM');
      else signalGroup(pgid, 'SIGTERM');
      await Promise.race([this.exited, sleep(STOP_GRACE_MS)]);
      signalGroup(pgid, 'SIGKILL');
      await this.exited;
      await groupGone(pgid, STOP_GRACE_MS);
    }
    this.releaseGroup();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Follows the keeper: the proxy's pid, its stderr (HAProxy logs there), and an exit nobody asked for. */
  private async watch(): Promise<void> {
    const child = this.child;
    if (child.pid !== undefined) this.releaseGroup = killGroupOnExit(child.pid);
    child.on('error', () => undefined);
    child.stderr?.on('data', (d: Buffer) => void (this.stderrTail = (this.stderrTail + d.toString()).slice(-4000)));
    child.once('exit', (code, sig) => {
      if (this.stopping) return;
      this.failure = runError(
        'CB_ERR_PROXY_EXITED',
        `${this.o.binary.kind} ${this.label} ${howItEnded(code, sig)}${this.logTail()}`,
        `its config and logs were in ${this.dir}`,
      );
      this.o.onFailure(this.failure);
    });
    const pidLine = await new Promise<string>((resolve) => {
      let text = '';
      child.stdout?.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\n')) resolve(text.split('\n')[0]!);
      });
      child.once('exit', () => resolve(text));
    });
    this.proxyPid = Number(pidLine) || 0;
  }

  /** Waits until every front port accepts a connection; the proxy's own failure to start is reported with its log. */
  private async listening(): Promise<void> {
    const ports = this.front.flatMap((p) => Object.values(p) as number[]);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (const port of ports) {
      while (!(await acceptsOnLoopback(port))) {
        if (this.failure) throw this.failure;
        if (Date.now() > deadline)
          throw runError(
            'CB_ERR_PROXY_START',
            `${this.o.binary.kind} ${this.label} did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS / 1000} s${this.logTail()}`,
          );
        await sleep(20);
      }
    }
  }

  private logTail(): string {
    let log = '';
    try {
      log = readFileSync(path.join(this.dir, 'error.log'), 'utf8');
    } catch {
      // HAProxy logs to stderr only.
    }
    const lines = `${log}\n${this.stderrTail}`.trim().split('\n').filter(Boolean).slice(-LOG_LINES);
    return lines.length > 0 ? `:\n${lines.join('\n')}` : '';
  }
}

/** Free loopback ports, one per listener kind of `like`: taken by listening on port 0, then let go for the proxy to bind. */
async function freePortsLike(like: Ports): Promise<Ports> {
  const out: Ports = {};
  for (const kind of Object.keys(like) as ListenerKind[]) out[kind] = await freeLoopbackPort();
  return out;
}

function writeConfig(o: IntermediaryOptions, dir: string, front: Ports[]): string {
  const tlsFiles = o.tls ? writeTlsFiles(dir, o.tls) : undefined;
  const input: IntermediaryConfigInput = {
    dir,
    routes: o.upstream.map((upstream, i) => ({ upstream, front: front[i]! })),
    ...(tlsFiles ? { tls: tlsFiles } : {}),
    buffering: o.buffering,
    idleTimeoutS: Math.max(1, Math.ceil(o.idleTimeoutMs / 1000)),
    connections: o.connections,
    asRoot: process.geteuid?.() === 0,
    ...(o.binary.streamModule ? { streamModule: o.binary.streamModule } : {}),
  };
  const file = path.join(dir, o.binary.kind === 'nginx' ? 'nginx.conf' : 'haproxy.cfg');
  writeFileSync(file, o.binary.kind === 'nginx' ? nginxConfig(input) : haproxyConfig(input));
  return file;
}

function writeTlsFiles(dir: string, t: CertificateSet): { certFile: string; keyFile: string; pemFile: string } {
  const files = { certFile: path.join(dir, 'server.crt'), keyFile: path.join(dir, 'server.key'), pemFile: path.join(dir, 'server.pem') };
  writeFileSync(files.certFile, t.certPem);
  writeFileSync(files.keyFile, t.keyPem, { mode: 0o600 });
  writeFileSync(files.pemFile, t.certPem + t.keyPem, { mode: 0o600 });
  return files;
}

function commandOf(b: ProxyBinary, dir: string, configFile: string): string[] {
  // -e: the error log before the config is read (else a non-root nginx tries /var/log/nginx first).
  if (b.kind === 'nginx') return [b.file, '-p', dir, '-c', configFile, '-e', path.join(dir, 'error.log')];
  // -db: foreground, one process, no master.
  return [b.file, '-f', configFile, '-db'];
}

/** nginx -t / haproxy -c before starting: a bad config is reported in the proxy's own words. */
function checkConfig(b: ProxyBinary, dir: string, configFile: string): void {
  const args =
    b.kind === 'nginx' ? ['-t', '-q', '-p', dir, '-c', configFile, '-e', path.join(dir, 'error.log')] : ['-c', '-q', '-f', configFile];
  const r = spawnSync(b.file, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status === 0) return;
  const said = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-LOG_LINES).join('\n');
  throw runError(
    'CB_ERR_PROXY_CONFIG',
    `${b.version} refused the config connbench wrote (${configFile}):\n${said}`,
    'report this as a bug, with the config',
  );
}

/** The keeper shell exits with its proxy's status: 128 + N when signal N ended it. */
function howItEnded(code: number | null, sig: NodeJS.Signals | null): string {
  if (sig) return `was killed by ${sig}`;
  const bySignal = code !== null && code > 128 ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined;
  return bySignal ? `was killed by ${bySignal}` : `exited with code ${code}`;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  signalProcess(-pgid, signal);
}

function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    // Gone.
    return false;
  }
}

/** Until no process of the group runs any more, at most timeoutMs. */
async function groupGone(pgid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (groupRuns(pgid) && Date.now() < deadline) await sleep(10);
}

/**
 * Whether a process of the group still runs. A zombie does not: it has let go of its sockets and
 * memory, and only waits for init to reap it, which may take seconds (kill(-pgid, 0) counts it).
 * Without /proc, kill(-pgid, 0) it is.
 */
function groupRuns(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return signalProcess(-pgid, 0);
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp …": the comm may hold spaces and parentheses, so read after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

// However connbench ends, no proxy it started is left running.
process.once('exit', () => killProcessGroups());
