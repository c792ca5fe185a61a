import { describe, expect, it } from 'vitest';
import { MODEL_IDS } from '../../src/models/index.js';
import { describeRow, runSmall, type Row } from './helpers.js';
import { renderRunTable } from '../../src/report/table.js';

describe('reconnect storm and churn through the real runner', () => {
  it('after every connection drops at once, every model has all clients back, caught up, with 0 lost', async () => {
    const result = await runSmall({
      name: 'storm-small',
      clients: 20,
      duration: '1500ms',
      workload: { pattern: 'broadcast', rate: '20/s', payload: '64B' },
      actions: [{ action: 'reconnect-storm', at: '1s' }],
      client: { reconnect: { minDelay: '100ms', maxDelay: '1s' } },
    });
    expect(result.models.map((m) => m.model)).toEqual([...MODEL_IDS]);
    for (const m of result.models as Row[]) {
      const why = describeRow(m);
      expect(m.status, why).not.toBe('failed');
      expect(m.messages.lost, why).toBe(0);
      expect(m.messages.duplicates, why).toBe(0);
      expect(m.messages.delivered, why).toBe(m.messages.expected);
      expect(m.reconnects, why).toBeGreaterThanOrEqual(20);
      const r = m.recovery;
      expect(r, why).toMatchObject({ action: 'reconnect-storm', atMs: 1000, droppedClients: 20, backClients: 20 });
      expect(r!.allBackMs, why).toBeGreaterThan(0);
      expect(r!.caughtUpMs!, why).toBeGreaterThanOrEqual(r!.allBackMs!);
      // Within the run: the drain waits for every client to be back.
      expect(r!.caughtUpMs!, why).toBeLessThan(5000 + 1000);
    }
    // The table says it in its notes, one line per model.
    const notes = renderRunTable(result)
      .split('\n')
      .filter((l) =>
        /reconnect storm at 1\.0 s dropped 20 clients: all back after [\d.]+ ms, every message caught up after [\d.]+ ms/.test(l),
      );
    expect(notes).toHaveLength(MODEL_IDS.length);
  });

  it('churn closes connections that resume from their cursor: chat in rooms still loses nothing', async () => {
    const result = await runSmall({
      name: 'churn-small',
      models: ['long-poll', 'tcp'],
      clients: 12,
      churn: '10/s',
      workload: { pattern: 'chat', rate: '2/s', payload: '64B', roomSize: 3 },
    });
    for (const m of result.models as Row[]) {
      const why = describeRow(m);
      expect(m.status, why).not.toBe('failed');
      // 10/s over 1.5 s: 15 connections closed and reopened.
      expect(m.reconnects, why).toBeGreaterThanOrEqual(14);
      expect(m.messages, why).toMatchObject({ published: 36, expected: 36 * 3, delivered: 36 * 3, lost: 0, duplicates: 0 });
      expect(m.recovery).toBeUndefined();
    }
  });
});
