import { describe, expect, it } from 'vitest';
import { MODEL_IDS } from '../../src/models/index.js';
import { WITHHOLD_ENV } from '../../src/server/withhold.js';
import { describeRow, runSmall, type Row } from './helpers.js';

describe('chat through the real runner (20 users, 1.5 s of sends)', () => {
  it('every model delivers every direct message exactly once to its recipient', async () => {
    const result = await runSmall({ name: 'chat-direct', clients: 20, workload: { pattern: 'chat', rate: '4/s', payload: '64B' } });
    expect(result.models.map((m) => m.model)).toEqual([...MODEL_IDS]);
    // 20 users × 4/s over warmup + duration (1.5 s): 120 sends, each to one other user.
    const sends = 20 * 4 * 1.5;
    for (const m of result.models as Row[]) {
      const why = describeRow(m);
      expect(m.status, why).not.toBe('failed');
      expect(m.clients, why).toEqual({ target: 20, connected: 20, failed: 0 });
      // Owed = what senders sent (not what the server saw), so a send that never arrived would show as lost.
      expect(m.messages.expected, why).toBe(sends);
      expect(m.messages.published, why).toBe(sends);
      expect(m.messages.delivered, why).toBe(sends);
      expect(m.messages.lost, why).toBe(0);
      // Chat has no scheduled publisher: no lateness of one to report.
      expect(m.server.publishLagUs, why).toBeNull();
      expect(m.server.publishHandoffUs, why).toBeNull();
      expect(m.messages.duplicates, why).toBe(0);
      expect(m.latencyMs.count, why).toBeGreaterThan(0);
    }
  });

  it('a matrix of two room sizes gives two rows, and one send reaches every member of the room', async () => {
    const result = await runSmall({
      name: 'chat-rooms',
      models: ['sse'],
      clients: 12,
      workload: { pattern: 'chat', rate: '2/s', payload: '64B', roomSize: [1, 4] },
    });
    expect(result.models.map((m) => [m.model, m.matrix])).toEqual([
      ['sse', { 'workload.roomSize': 1 }],
      ['sse', { 'workload.roomSize': 4 }],
    ]);
    const sends = 12 * 2 * 1.5;
    const [direct, rooms] = result.models;
    expect(direct!.messages, describeRow(direct!)).toMatchObject({
      published: sends,
      expected: sends,
      delivered: sends,
      lost: 0,
      duplicates: 0,
    });
    expect(rooms!.messages, describeRow(rooms!)).toMatchObject({
      published: sends,
      expected: sends * 4,
      delivered: sends * 4,
      lost: 0,
      duplicates: 0,
    });
  });

  it('counts a message the server never delivers as lost, once per recipient (so the checks above can fail)', async () => {
    // One room of all 4 users: seq 2 is withheld from the room's address, so each member misses it.
    process.env[WITHHOLD_ENV] = JSON.stringify({ r0: [2] });
    try {
      const result = await runSmall({
        name: 'chat-withheld',
        models: ['websocket'],
        clients: 4,
        drainTimeout: '1s',
        workload: { pattern: 'chat', rate: '2/s', payload: '64B', roomSize: 4 },
      });
      const m = result.models[0]!;
      expect(m.messages, describeRow(m)).toMatchObject({ published: 12, expected: 48, delivered: 44, lost: 4, duplicates: 0 });
    } finally {
      delete process.env[WITHHOLD_ENV];
    }
  });
});
