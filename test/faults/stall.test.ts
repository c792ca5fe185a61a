import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { ServerGroup } from '../../src/runner/serverGroup.js';
import { FaultRun } from '../../src/runner/faults.js';
import { nowUs } from '../../src/metrics/clock.js';

/**
 * A stall stops the server processes with SIGSTOP for `for`; nothing may leave one stopped: when
 * the run is interrupted or the model run ends early, the runner continues it at once. Real server
 * processes (built dist/), watched through /proc.
 */
const stateOf = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
};

async function until(what: string, ok: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// A 30 s stall, far longer than any wait below: only the runner's own resume can end it in time.
const scenario = expandMatrix(
  validateScenario({
    models: ['websocket'],
    clients: 1,
    warmup: '0s',
    duration: '60s',
    faults: [{ fault: 'stall', at: '0s', for: '30s' }],
  }),
)[0]!;

let group: ServerGroup | undefined;
afterEach(async () => {
  for (const m of group?.members ?? []) m.child.proc.kill('SIGCONT');
  await group?.stop();
  group = undefined;
});

describe('stall fault', () => {
  it.each([
    ['the run is interrupted', (_run: FaultRun, abort: AbortController) => abort.abort()],
    ['the model run ends (close)', (run: FaultRun) => void run.close()],
  ])('a stopped server continues at once when %s', async (_when, end) => {
    const abort = new AbortController();
    group = await ServerGroup.start(scenario, 'websocket', abort.signal);
    const pid = group.members[0]!.pid;
    const run = await FaultRun.open(scenario, group, 'websocket', abort.signal);
    run.schedule(nowUs());
    await until('the server is stopped (state T)', () => stateOf(pid) === 'T', 5000);
    end(run, abort);
    await until('the server runs again', () => stateOf(pid) !== 'T', 2000);
    // And nothing waits for the rest of the stall.
    await run.settle();
    await run.close();
    expect(stateOf(pid)).not.toBe('T');
  });
});
