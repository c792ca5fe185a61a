import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MessageLog } from '../../src/server/messageLog.js';
import { Hub } from '../../src/server/hub.js';
import type { Subscriber } from '../../src/models/types.js';
import { withholdFilter } from '../../src/server/withhold.js';

const USERS = ['u1', 'u2', 'u3'] as const;
/** Subscribers 0 to 11: three for each user and three broadcast-only ones. */
const SUBSCRIBERS = 12;

/** One step against the hub: subscriber `sub` joins or leaves, or a message goes to everyone or to one user. */
type Step = { op: 'add' | 'remove'; sub: number } | { op: 'send'; to: (typeof USERS)[number] | undefined };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constantFrom('add' as const, 'remove' as const), sub: fc.nat(SUBSCRIBERS - 1) }),
  fc.record({ op: fc.constant('send' as const), to: fc.option(fc.constantFrom(...USERS), { nil: undefined }) }),
);

/** Subscriber k reads for user USERS[k % 4] (k % 4 = 3: broadcast only), so a user holds 0 to 3 at once. */
const userOf = (k: number) => USERS[k % 4];

/**
 * What the hub must deliver, kept the plain way: the subscribers joined, in join order, and each
 * message to every one of them whose user it is addressed to (all of them for a broadcast).
 */
function expected(steps: Step[], hidden: (seq: number, user: string | undefined) => boolean): number[][] {
  const got: number[][] = Array.from({ length: SUBSCRIBERS }, () => []);
  const joined = new Set<number>();
  let seq = 0;
  for (const s of steps) {
    if (s.op === 'send') {
      seq++;
      for (const k of joined) if ((s.to === undefined || userOf(k) === s.to) && !hidden(seq, userOf(k))) got[k]!.push(seq);
    } else if (s.op === 'add') joined.add(s.sub);
    else joined.delete(s.sub);
  }
  return got;
}

function delivered(steps: Step[], withhold?: Record<string, number[]>): number[][] {
  const log = new MessageLog(1000);
  if (withhold) log.withheld = withholdFilter(withhold);
  const hub = new Hub(log);
  const got: number[][] = Array.from({ length: SUBSCRIBERS }, () => []);
  const subs: Subscriber[] = got.map((seqs, k) => ({ user: userOf(k), push: (e) => seqs.push(e.seq) }));
  for (const s of steps) {
    if (s.op === 'send') log.append({ t: 0, body: 'x', ...(s.to === undefined ? {} : { to: s.to }) });
    else if (s.op === 'add') hub.add(subs[s.sub]!);
    else hub.remove(subs[s.sub]!);
  }
  return got;
}

describe('hub', () => {
  it('delivers every message to exactly the subscribers it is addressed to, however they join and leave', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60, size: 'max' }), (steps) => {
        expect(delivered(steps)).toEqual(expected(steps, () => false));
      }),
      { numRuns: 2000 },
    );
  });

  it('withholds the chosen messages from the chosen user, whether it holds one subscriber or several', () => {
    const withhold = { u1: [2, 3, 5, 8], u2: [1, 4] };
    const hidden = withholdFilter(withhold);
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60, size: 'max' }), (steps) => {
        expect(delivered(steps, withhold)).toEqual(expected(steps, hidden));
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps delivering to the other subscribers of a user when one of them leaves while a message is handed out', () => {
    const log = new MessageLog(100);
    const hub = new Hub(log);
    const seen: string[] = [];
    // A held long poll answers once and leaves: it removes itself inside its own push.
    const once: Subscriber = {
      user: 'u1',
      push: (e) => {
        seen.push(`once:${e.seq}`);
        hub.remove(once);
      },
    };
    const stays: Subscriber = { user: 'u1', push: (e) => seen.push(`stays:${e.seq}`) };
    hub.add(once);
    hub.add(stays);
    log.append({ t: 0, body: 'x', to: 'u1' });
    log.append({ t: 0, body: 'x', to: 'u1' });
    expect(seen).toEqual(['once:1', 'stays:1', 'stays:2']);
    expect(hub.size).toBe(1);
  });
});
