import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChatTraffic, inboxOf, mergeSentByInbox, pickRecipient } from '../../src/client/chat.js';
import type { Outgoing } from '../../src/models/message.js';
import { nowUs } from '../../src/metrics/clock.js';

describe('chat addressing', () => {
  it('direct messages address a user; rooms of k share one address per k consecutive users', () => {
    expect(inboxOf(7, 1)).toBe('u7');
    expect([0, 1, 2, 3, 4].map((id) => inboxOf(id, 2))).toEqual(['r0', 'r0', 'r1', 'r1', 'r2']);
  });

  it('never picks the sender, and reaches every other user', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 50 }), fc.nat(), fc.double({ min: 0, max: 0.999999, noNaN: true }), (users, s, r) => {
        const sender = s % users;
        const to = pickRecipient(sender, users, () => r);
        expect(to).not.toBe(sender);
        expect(to).toBeGreaterThanOrEqual(0);
        expect(to).toBeLessThan(users);
      }),
    );
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) seen.add(pickRecipient(2, 5, () => i / 4));
    expect([...seen].sort()).toEqual([0, 1, 3, 4]);
  });

  it('adds up what every worker sent to each address', () => {
    expect(mergeSentByInbox([{ u1: 2, r0: 1 }, undefined, { u1: 3 }])).toEqual({ u1: 5, r0: 1 });
  });
});

describe('ChatTraffic', () => {
  const run = (roomSize: number) => {
    const got: { i: number; m: Outgoing }[] = [];
    const senders = Array.from({ length: 4 }, (_, i) => ({ send: (m: Outgoing) => void got.push({ i, m }) }));
    const t0Us = nowUs() - 1_000_000;
    // 4 users × 5/s over the last second: 20 sends, all already due.
    const chat = new ChatTraffic(
      { firstClientId: 10, totalUsers: 20, ratePerUserPerSec: 5, roomSize, payloadBytes: 16, t0Us, untilUs: t0Us + 1_000_000 },
      senders,
      () => 0,
    );
    chat.finish();
    return { chat, got, t0Us };
  };

  it('sends at each user’s rate, stamped with the scheduled time, and counts each address', () => {
    const { chat, got, t0Us } = run(1);
    expect(chat.sent).toBe(20);
    expect(got.map((g) => g.i)).toEqual(Array.from({ length: 20 }, (_, j) => j % 4));
    expect(got.map((g) => g.m.t)).toEqual(Array.from({ length: 20 }, (_, j) => t0Us + j * 50_000));
    expect(got[0]!.m.body).toHaveLength(16);
    // random() = 0 picks user 0 (none of the senders 10-13 is user 0).
    expect(chat.sentByInbox).toEqual({ u0: 20 });
  });

  it('in rooms, sends to the sender’s own room', () => {
    const { chat, got } = run(3);
    // Users 10, 11 are in room r3 (9-11); 12, 13 in r4 (12-14).
    expect(new Set(got.filter((g) => g.i < 2).map((g) => g.m.to))).toEqual(new Set(['r3']));
    expect(new Set(got.filter((g) => g.i >= 2).map((g) => g.m.to))).toEqual(new Set(['r4']));
    expect(chat.sentByInbox).toEqual({ r3: 10, r4: 10 });
  });
});
