import { describe, expect, it } from 'vitest';
import { MODEL_IDS } from '../../src/models/index.js';
import { renderRunTable } from '../../src/report/table.js';
import { describeRow, runSmall, type Row } from '../workloads/helpers.js';

/**
 * Every fault kind, in one scenario, through the real runner, server and worker processes, for
 * every model, with both resume policies (a matrix on client.resume): a drop of half the
 * connections, a stall, a restart of the server process and added latency. Resuming by cursor
 * must lose and duplicate nothing across all of it (the restarted server took the log over);
 * resuming from "now" must lose what was published while a client was away, and say so.
 */
describe('faults during a run, resume by cursor and from now', () => {
  it('cursor: 0 lost, 0 duplicated for every model; none: the reconnect gap is lost; recovery reported per fault', async () => {
    const result = await runSmall({
      name: 'faults-small',
      clients: 20,
      duration: '1800ms',
      drainTimeout: '4s',
      workload: { pattern: 'broadcast', rate: '40/s', payload: '64B' },
      client: { resume: ['cursor', 'none'], reconnect: { minDelay: '20ms', maxDelay: '300ms' } },
      faults: [
        { fault: 'drop', at: '500ms', fraction: 0.5 },
        { fault: 'stall', at: '800ms', for: '250ms' },
        { fault: 'restart', at: '1200ms' },
        { fault: 'latency', at: '1900ms', latency: '30ms', jitter: '10ms', for: '300ms' },
      ],
    });
    expect(result.models.map((m) => `${m.matrix['client.resume']} ${m.model}`)).toEqual([
      ...MODEL_IDS.map((m) => `cursor ${m}`),
      ...MODEL_IDS.map((m) => `none ${m}`),
    ]);
    for (const m of result.models as Row[]) {
      const why = describeRow(m);
      expect(m.status, why).not.toBe('failed');
      expect(m.clients.connected, why).toBe(20);
      expect(m.messages.duplicates, why).toBe(0);
      expect(
        m.faults?.map((f) => f.fault),
        why,
      ).toEqual(['drop', 'stall', 'restart', 'latency']);
      const [drop, stall, restart, latency] = m.faults!;
      // Every connection the server held (one per client here) was counted, and half of them reset.
      expect(drop!.resetConnections, why).toBe(Math.floor(drop!.openConnections! / 2));
      expect(stall!.faultMs, why).toBeGreaterThanOrEqual(250);
      expect(restart!.logHead, why).toBeGreaterThan(0);
      // A restart ends every connection: each client had to come back.
      expect(restart!.droppedClients, why).toBe(20);
      expect(latency).toMatchObject({ latencyMs: 30, jitterMs: 10 });
      for (const f of m.faults!) {
        expect(f.backClients, `${why} ${f.fault}`).toBe(f.droppedClients);
        expect(f.allBackMs, `${why} ${f.fault}`).not.toBeNull();
        expect(f.caughtUpMs!, `${why} ${f.fault}`).toBeGreaterThanOrEqual(f.allBackMs!);
      }
      expect(stall!.caughtUpMs!, why).toBeGreaterThanOrEqual(250);
      expect(m.reconnects, why).toBeGreaterThanOrEqual(20);
      if (m.matrix['client.resume'] === 'cursor') {
        expect(m.messages.lost, why).toBe(0);
        expect(m.messages.delivered, why).toBe(m.messages.expected);
      } else {
        // What was published while a client reconnected is gone: it asked from "now".
        expect(m.messages.lost, why).toBeGreaterThan(0);
        expect(m.messages.delivered + m.messages.lost, why).toBe(m.messages.expected);
      }
    }
    // The table tells the rows apart and says what each fault did.
    const table = renderRunTable(result);
    expect(table).toMatch(/client\.resume/);
    expect(table.split('\n').filter((l) => /^│\s+(cursor|none) │/.test(l))).toHaveLength(10);
    expect(
      table
        .split('\n')
        .filter((l) =>
          /^ {4}restart at 1\.2 s: server down [\d.]+ ms, its log taken over at seq \d+; 20 clients reconnected, all back after/.test(l),
        ),
    ).toHaveLength(10);
  }, 180_000); // ten model runs with faults: about 50 s alone on 2 cores, more when they are shared
});
