/**
 * The chat send schedule of one worker: its users together send `ratePerUser × users` messages
 * per second, send j due at t0 + j / totalRate, from user (j mod users), so each user sends at its
 * own steady rate and latency counts from the scheduled time, not the time the send went out.
 */
export class ChatSchedule {
  private j = 0;
  private readonly intervalUs: number;
  private readonly t0Us: number;
  private readonly untilUs: number;
  private readonly senders: number;

  constructor(opts: { ratePerUserPerSec: number; senders: number; t0Us: number; untilUs: number }) {
    this.senders = opts.senders;
    this.intervalUs = 1e6 / (opts.ratePerUserPerSec * opts.senders);
    this.t0Us = opts.t0Us;
    this.untilUs = opts.untilUs;
  }

  /** Calls send(senderIndex, scheduledUs) for every send due by nowUs; returns false once past the end. */
  due(nowUs: number, send: (senderIndex: number, scheduledUs: number) => void): boolean {
    if (!Number.isFinite(this.intervalUs) || this.senders === 0) return false;
    for (;;) {
      const t = Math.round(this.t0Us + this.j * this.intervalUs);
      if (t >= this.untilUs) return false;
      if (t > nowUs) return true;
      send(this.j % this.senders, t);
      this.j++;
    }
  }
}

/** A recipient other than the sender, drawn uniformly from all users of the run. */
export function pickRecipient(senderId: number, totalUsers: number, random: () => number = Math.random): number {
  if (totalUsers < 2) return senderId;
  const r = Math.floor(random() * (totalUsers - 1));
  return r >= senderId ? r + 1 : r;
}
