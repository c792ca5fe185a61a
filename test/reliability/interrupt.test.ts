import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/report/result.js';

/**
 * `connbench run` interrupted at several phases: every child it forked must be gone, the result
 * file must keep the finished models and the partial one marked incomplete, and the exit code must
 * say which signal. Processes are watched through /proc: the CLI's descendants are recorded while it
 * runs (by pid and start time, so a reused pid is not mistaken for one of them).
 */

interface Proc {
  pid: number;
  ppid: number;
  startTime: string;
  state: string;
  cmdline: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return { pid, state: fields[0]!, ppid: Number(fields[1]), startTime: fields[19]!, cmdline };
  } catch {
    return undefined;
  }
}

function descendantsOf(root: number): Proc[] {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is Proc => p !== undefined);
  const found: Proc[] = [];
  const parents = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

const stillAlive = (p: Proc) => {
  const now = readProc(p.pid);
  return now !== undefined && now.startTime === p.startTime && now.state !== 'Z';
};

/** Two short models; `rampUp` long makes the connecting phase one that must be cut short. */
const scenario = (rampUp = '300ms') => `name: interrupt
models: [tcp, websocket]
clients: 10
rampUp: ${rampUp}
warmup: 300ms
duration: 2s
drainTimeout: 2s
workload: { pattern: broadcast, rate: 10/s, payload: 64B }
`;

/** How long the CLI may take to stop after the signal: far less than any phase the tests interrupt. */
const STOP_WITHIN_MS = 20_000;

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  result: RunResult;
  seen: Proc[];
  leftovers: Proc[];
  stderr: string;
}

/**
 * Runs the scenario, waits until `when` holds (checked every 20 ms against the CLI's live
 * descendants and its result file so far), sends the signal, and waits for the exit.
 */
async function interrupt(
  signal: 'SIGINT' | 'SIGTERM',
  toGroup: boolean,
  when: (kids: Proc[], file: RunResult | undefined) => boolean,
  rampUp?: string,
): Promise<Interrupted> {
  const dir = mkdtempSync(path.join(tmpdir(), 'connbench-int-'));
  const out = path.join(dir, 'r.json');
  writeFileSync(path.join(dir, 's.yaml'), scenario(rampUp));
  // Its own process group, as a shell gives a foreground job: Ctrl-C reaches the whole group.
  const cli = spawn(process.execPath, [path.resolve('bin/connbench.js'), 'run', path.join(dir, 's.yaml'), '--out', out, '--quiet'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    cli.once('exit', (code, sig) => resolve({ code, signal: sig })),
  );
  const seen = new Map<string, Proc>();
  const readFile = () => {
    try {
      return JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    } catch {
      return undefined;
    }
  };
  let deadline = Date.now() + 60_000;
  let sent = false;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => (exit = e));
  while (!exit) {
    const kids = descendantsOf(cli.pid!);
    // Keep the sighting that names the program (dist/…): a just-forked child shows the CLI's own
    // command line until it has exec'd, and an exiting one an empty one.
    for (const k of kids) {
      const key = `${k.pid}:${k.startTime}`;
      const prev = seen.get(key);
      if (!prev || (!prev.cmdline.includes('dist/') && k.cmdline.trim())) seen.set(key, k);
    }
    if (!sent && when(kids, readFile())) {
      sent = true;
      process.kill(toGroup ? -cli.pid! : cli.pid!, signal);
      deadline = Date.now() + STOP_WITHIN_MS;
    }
    if (Date.now() > deadline) {
      process.kill(-cli.pid!, 'SIGKILL');
      for (const p of seen.values()) if (stillAlive(p)) process.kill(p.pid, 'SIGKILL');
      throw new Error(
        `the run did not ${sent ? `exit within ${STOP_WITHIN_MS / 1000} s of the signal` : 'reach the phase to interrupt within 60 s'}: ${stderr}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(sent, 'the run ended before it could be interrupted').toBe(true);
  // Children of the CLI are gone when it exits (allow the kernel a moment to reap them).
  const leftoverDeadline = Date.now() + 1000;
  let leftovers = [...seen.values()].filter(stillAlive);
  while (leftovers.length > 0 && Date.now() < leftoverDeadline) {
    await new Promise((r) => setTimeout(r, 20));
    leftovers = leftovers.filter(stillAlive);
  }
  for (const p of leftovers) process.kill(p.pid, 'SIGKILL');
  expect(existsSync(out)).toBe(true);
  return { ...exit, result: readFile()!, seen: [...seen.values()], leftovers, stderr };
}

const isWorker = (p: Proc) => p.cmdline.includes('client/worker.js');

/** Sockets a process holds; a forked child has 3 of its own (stdout, stderr, IPC) before any client. */
function socketFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}
const connecting = (p: Proc) => isWorker(p) && socketFds(p.pid) > 3;
const isServer = (p: Proc) => p.cmdline.includes('server/main.js');

describe('connbench run interrupted', () => {
  it('Ctrl-C (SIGINT to the group) while the first model starts: exit 130, no child left, the model marked incomplete', async () => {
    // The server child may still be loading: a few tries, since a child that dies of the Ctrl-C
    // (or a send to it that fails) only shows in some of them.
    for (let i = 0; i < 4; i++) {
      const r = await interrupt('SIGINT', true, (kids) => kids.some(isServer));
      expect(r.code, r.stderr).toBe(130);
      expect(r.leftovers.map((p) => p.cmdline)).toEqual([]);
      expect(r.result.complete).toBe(false);
      expect(r.result.models.map((m) => [m.model, m.complete])).toEqual([['tcp', false]]);
      expect(r.result.models[0]!.error?.code).toBe('CB_ERR_INTERRUPTED');
    }
  });

  it('SIGINT to the CLI while the first model connects its clients (a 120 s ramp): exit 130 at once, no child left', async () => {
    // A client of the worker holds a socket: the ramp is under way, with 119 s of it to go.
    const r = await interrupt('SIGINT', false, (kids) => kids.some(connecting), '120s');
    expect(r.code, r.stderr).toBe(130);
    expect(r.seen.some(isWorker)).toBe(true);
    expect(r.leftovers.map((p) => p.cmdline)).toEqual([]);
    expect(r.result.complete).toBe(false);
    expect(r.result.models.map((m) => [m.model, m.complete])).toEqual([['tcp', false]]);
  });

  it('SIGTERM while the second model runs its clients: exit 143, the first model kept whole, the second incomplete', async () => {
    // The first model's row is in the file, and the second model's clients hold sockets.
    const r = await interrupt('SIGTERM', false, (kids, file) => (file?.models.length ?? 0) === 1 && kids.some(connecting));
    expect(r.code, r.stderr).toBe(143);
    expect(r.leftovers.map((p) => p.cmdline)).toEqual([]);
    expect(r.result.complete).toBe(false);
    expect(r.result.models.map((m) => [m.model, m.complete])).toEqual([
      ['tcp', true],
      ['websocket', false],
    ]);
    expect(r.result.models[0]!.status).not.toBe('failed');
    expect(r.result.models[0]!.messages.lost).toBe(0);
  });
});
