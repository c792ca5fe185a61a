import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { runScenario } from '../../src/runner/run.js';
import { SMALL } from '../workloads/helpers.js';

/** Pids of this process's children whose command line names `entry` (the runner forks them from here). */
function childrenRunning(entry: string): number[] {
  const pids = readdirSync(`/proc/${process.pid}/task`).flatMap((t) =>
    readFileSync(`/proc/${process.pid}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(entry);
    } catch {
      return false;
    }
  });
}

describe('a model that fails mid-run (end to end)', () => {
  it('still lists every process with its peak memory and connections, so the row shows where it broke', async () => {
    let killed: number | undefined;
    const points = expandMatrix(
      validateScenario({ ...SMALL, name: 'scale-failed', models: ['tcp'], clients: 100, duration: '3s', server: { processes: 2 } }),
    );
    const result = await runScenario(points, {
      limits: { openFilesLimit: 20_000 },
      listeners: [
        {
          phase: (info) => {
            if (info.phase !== 'measuring' || killed !== undefined) return;
            // The worker this run forked, killed as the kernel's OOM killer would.
            [killed] = childrenRunning('client/worker.js');
            if (killed) process.kill(killed, 'SIGKILL');
          },
        },
      ],
    });
    expect(killed).toBeGreaterThan(0);
    const [row] = result.models;
    expect(row!.status).toBe('failed');
    expect(row!.error?.code).toBe('CB_ERR_CHILD_EXITED');
    const servers = row!.processes!.filter((p) => p.role === 'server');
    const client = row!.processes!.find((p) => p.role === 'client');
    expect(servers.map((p) => p.openSockets)).toEqual([50, 50]);
    for (const p of servers) expect(p.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(client).toMatchObject({ index: 0, pid: killed, openSockets: 100 });
    expect(client!.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
  }, 60_000);
});
