import type { LogEntry } from '../models/log.js';
import type { MessageLog } from './messageLog.js';
import type { Subscriber, SubscriberHub } from '../models/types.js';

/**
 * A user's subscribers: the one itself, or a Set of two or more. Most users hold one connection,
 * and a Set per user would cost every connection about 300 bytes of heap (its table).
 */
type UserSubscribers = Subscriber | Set<Subscriber>;

/**
 * Fans each appended log entry out to the subscribers it is addressed to: every subscriber for a
 * broadcast, the recipient's subscribers for a chat message. Add and remove stay O(1) under churn:
 * every subscriber is in one Set, and each user's in a Set of their own once they are two.
 */
export class Hub implements SubscriberHub {
  private readonly all = new Set<Subscriber>();
  private readonly byUser = new Map<string, UserSubscribers>();
  private readonly log: MessageLog;

  constructor(log: MessageLog) {
    this.log = log;
    log.onAppend((e) => this.dispatch(e));
  }

  get size(): number {
    return this.all.size;
  }

  add(sub: Subscriber): void {
    this.all.add(sub);
    const user = sub.user;
    if (user === undefined) return;
    const held = this.byUser.get(user);
    if (held === undefined) this.byUser.set(user, sub);
    else if (held instanceof Set) held.add(sub);
    else if (held !== sub) this.byUser.set(user, new Set([held, sub]));
  }

  remove(sub: Subscriber): void {
    this.all.delete(sub);
    const user = sub.user;
    if (user === undefined) return;
    const held = this.byUser.get(user);
    if (held === sub) this.byUser.delete(user);
    else if (held instanceof Set && held.delete(sub) && held.size === 1) this.byUser.set(user, held.values().next().value!);
  }

  private dispatch(entry: LogEntry): void {
    // The live Set, not a copy (a copy costs one array of every connection per message): a Set
    // iterates safely while a one-shot subscriber (a held long poll) deletes itself, and no push
    // adds a subscriber synchronously (they arrive with requests). A user's Set that falls to one
    // subscriber that way is replaced in byUser but still iterated here; a push never removes
    // another subscriber, which that Set would then still reach.
    const targets = entry.to === undefined ? this.all : this.byUser.get(entry.to);
    if (targets === undefined) return;
    const withheld = this.log.withheld;
    if (!(targets instanceof Set)) {
      if (withheld === undefined || !withheld(entry.seq, targets.user)) targets.push(entry);
      return;
    }
    if (withheld === undefined) for (const sub of targets) sub.push(entry);
    else for (const sub of targets) if (!withheld(entry.seq, sub.user)) sub.push(entry);
  }
}
