import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/report/result.js';

/**
 * Ctrl-C while a stall fault holds the server stopped (SIGSTOP): `connbench run` must end with 130
 * and leave no process behind, stopped or not. The CLI's children are found through /proc (their
 * parent pid), and remembered by pid and start time so a reused pid is not mistaken for one.
 */
interface Proc {
  pid: number;
  startTime: string;
  state: string;
  cmdline: string;
}

function childrenOf(ppid: number): Proc[] {
  const found: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== ppid) continue;
      found.push({
        pid: Number(d),
        state: fields[0]!,
        startTime: fields[19]!,
        cmdline: readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' '),
      });
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

function stillThere(p: Proc): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] === p.startTime && fields[0] !== 'Z' ? { ...p, state: fields[0]! } : undefined;
  } catch {
    return undefined;
  }
}

const SCENARIO = `name: stall-interrupt
models: [websocket]
clients: 5
rampUp: 100ms
warmup: 200ms
duration: 60s
workload: { pattern: broadcast, rate: 10/s, payload: 64B }
faults:
  - { fault: stall, at: 300ms, for: 50s }
`;

describe('Ctrl-C during a stall', () => {
  it('exits 130 with every child gone, none left stopped', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-stall-'));
    const out = path.join(dir, 'r.json');
    writeFileSync(path.join(dir, 's.yaml'), SCENARIO);
    const cli = spawn(process.execPath, [path.resolve('bin/connbench.js'), 'run', path.join(dir, 's.yaml'), '--out', out, '--quiet'], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let exit: number | null | undefined;
    cli.once('exit', (code) => (exit = code));
    const seen = new Map<string, Proc>();
    let stoppedServer: Proc | undefined;
    const deadline = Date.now() + 30_000;
    while (exit === undefined && !stoppedServer) {
      for (const p of childrenOf(cli.pid!)) seen.set(`${p.pid}:${p.startTime}`, p);
      stoppedServer = [...seen.values()].map(stillThere).find((p) => p?.state === 'T' && p.cmdline.includes('server/main.js'));
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    try {
      expect(stoppedServer, `the server was never seen stopped: ${stderr}`).toBeDefined();
      // Ctrl-C in a shell reaches the whole foreground group.
      process.kill(-cli.pid!, 'SIGINT');
      const exitDeadline = Date.now() + 20_000;
      while (exit === undefined && Date.now() < exitDeadline) await new Promise((r) => setTimeout(r, 20));
      expect(exit, stderr).toBe(130);
      let left = [...seen.values()].map(stillThere).filter((p) => p !== undefined);
      const reapDeadline = Date.now() + 1000;
      while (left.length > 0 && Date.now() < reapDeadline) {
        await new Promise((r) => setTimeout(r, 20));
        left = left.map((p) => stillThere(p)).filter((p) => p !== undefined);
      }
      expect(left.map((p) => `${p.state} ${p.cmdline}`)).toEqual([]);
      const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      expect(result.complete).toBe(false);
    } finally {
      for (const p of [...seen.values()].map(stillThere)) {
        if (!p) continue;
        process.kill(p.pid, 'SIGCONT');
        process.kill(p.pid, 'SIGKILL');
      }
      if (exit === undefined) process.kill(-cli.pid!, 'SIGKILL');
    }
  });
});
