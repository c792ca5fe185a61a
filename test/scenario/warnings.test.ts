import { describe, expect, it } from 'vitest';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { validateScenario } from '../../src/scenario/load.js';
import { BUSY_POLL_FEW_CLIENTS, DELIVERIES_PER_SEC_PER_CORE, loadWarnings } from '../../src/scenario/warnings.js';

const point = (raw: Record<string, unknown>) => expandMatrix(validateScenario({ name: 'w', ...raw }, 'test'))[0]!;

describe('loadWarnings', () => {
  it('says nothing of a point this machine carries', () => {
    expect(loadWarnings(point({ clients: 10, workload: { rate: '10/s' } }), 2)).toEqual([]);
    expect(loadWarnings(point({ clients: BUSY_POLL_FEW_CLIENTS, client: { busyPoll: true } }), 2)).toEqual([]);
  });

  it('warns of more deliveries per second than connbench delivers on these cores', () => {
    const clients = (2 * DELIVERIES_PER_SEC_PER_CORE) / 100 + 1;
    const [w] = loadWarnings(point({ clients, workload: { rate: '100/s' } }), 2);
    expect(w).toContain('expect client-bound rows');
  });

  it('warns of a busy poll with many clients, or with as many workers as cores', () => {
    const many = loadWarnings(point({ clients: BUSY_POLL_FEW_CLIENTS + 1, client: { busyPoll: true } }), 2);
    expect(many).toEqual([
      expect.stringContaining(`client.busyPoll makes every client worker spin a core while messages flow; with 101 clients on 2 cores`),
    ]);
    const workers = loadWarnings(point({ clients: 4, client: { busyPoll: true, workers: 2 } }), 2);
    expect(workers).toEqual([expect.stringContaining('with 4 clients in 2 workers on 2 cores')]);
    expect(loadWarnings(point({ clients: BUSY_POLL_FEW_CLIENTS + 1 }), 2)).toEqual([]);
  });
});
