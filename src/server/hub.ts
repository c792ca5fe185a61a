import type { LogEntry } from '../models/log.js';
import type { MessageLog } from './messageLog.js';
import type { Subscriber, SubscriberHub } from '../models/types.js';

/**
 * Fans each appended log entry out to the subscribers it is addressed to: every subscriber for a
 * broadcast, the recipient's subscribers for a chat message. Subscribers are kept in Sets so
 * add/remove under churn stay O(1).
 */
export class Hub implements SubscriberHub {
  private readonly all = new Set<Subscriber>();
  private readonly byUser = new Map<string, Set<Subscriber>>();
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
    if (sub.user !== undefined) {
      let set = this.byUser.get(sub.user);
      if (!set) this.byUser.set(sub.user, (set = new Set()));
      set.add(sub);
    }
  }

  remove(sub: Subscriber): void {
    this.all.delete(sub);
    if (sub.user !== undefined) {
      const set = this.byUser.get(sub.user);
      if (set) {
        set.delete(sub);
        if (set.size === 0) this.byUser.delete(sub.user);
      }
    }
  }

  private dispatch(entry: LogEntry): void {
    // The live Set, not a copy (a copy costs one array of every connection per message): a Set
    // iterates safely while a one-shot subscriber (a held long poll) deletes itself, and no push
    // adds a subscriber synchronously (they arrive with requests).
    const targets = entry.to === undefined ? this.all : this.byUser.get(entry.to);
    if (!targets) return;
    const withheld = this.log.withheld;
    if (withheld === undefined) for (const sub of targets) sub.push(entry);
    else for (const sub of targets) if (!withheld(entry.seq, sub.user)) sub.push(entry);
  }
}
