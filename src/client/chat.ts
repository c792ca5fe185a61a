import { FixedRateSchedule, ScheduleTimer } from './schedule.js';
import { nowUs } from '../metrics/clock.js';
import { paddingOf } from '../models/message.js';
import type { Outgoing } from '../models/message.js';

/**
 * The address a client reads for. Direct messages (roomSize 1) go to user `u<id>`; in rooms of k,
 * users id / k share room `r<id / k>` and every member reads it, so one send reaches k recipients
 * (the server fans out by address; the sender hears its own message, as in a chat room).
 */
export function inboxOf(clientId: number, roomSize: number): string {
  return roomSize > 1 ? `r${Math.floor(clientId / roomSize)}` : `u${clientId}`;
}

/** A recipient other than the sender, drawn uniformly from all users of the run. */
export function pickRecipient(senderId: number, totalUsers: number, random: () => number = Math.random): number {
  if (totalUsers < 2) return senderId;
  const r = Math.floor(random() * (totalUsers - 1));
  return r >= senderId ? r + 1 : r;
}

/** Who sends: the worker's sessions, by index. */
export interface ChatSender {
  send(m: Outgoing): void;
}

export interface ChatOptions {
  /** The senders' ids: firstClientId + i × stride (stride absent: 1; a shard's workers step by the shard count). */
  firstClientId: number;
  stride?: number;
  totalUsers: number;
  ratePerUserPerSec: number;
  roomSize: number;
  payloadBytes: number;
  t0Us: number;
  untilUs: number;
  /** The clock t0Us, untilUs and the stamps are in; default this host's (nowUs). */
  now?: () => number;
}

/**
 * The chat traffic of one worker: its users together send ratePerUser × users messages per second,
 * send j due at t0 + j / totalRate from user (j mod users), so each user keeps its own steady rate
 * and every message is stamped with its scheduled time. It counts what it sent to each address, so
 * the runner can tell each recipient exactly how many messages it is owed, whether or not the
 * server ever saw them (a send that never arrived is lost, not forgotten).
 */
export class ChatTraffic {
  /** Sends per address (user or room), scheduled by this worker. */
  readonly sentByInbox: Record<string, number> = {};
  sent = 0;
  private readonly timer: ScheduleTimer;
  private readonly body: string;

  constructor(
    o: ChatOptions,
    private readonly senders: ChatSender[],
    random: () => number = Math.random,
  ) {
    this.body = paddingOf(o.payloadBytes);
    const schedule = new FixedRateSchedule({ ratePerSec: o.ratePerUserPerSec * senders.length, t0Us: o.t0Us, untilUs: o.untilUs });
    this.timer = new ScheduleTimer(schedule, o.now ?? nowUs, (j, t) => {
      const i = j % senders.length;
      const from = o.firstClientId + i * (o.stride ?? 1);
      const to = o.roomSize > 1 ? inboxOf(from, o.roomSize) : `u${pickRecipient(from, o.totalUsers, random)}`;
      this.sentByInbox[to] = (this.sentByInbox[to] ?? 0) + 1;
      this.sent++;
      this.senders[i]!.send({ to, t, body: this.body });
    });
  }

  start(): void {
    this.timer.start();
  }

  /** Sends whatever is still due before the end, then stops: call once the end has passed. */
  finish(): void {
    this.timer.flush();
  }

  stop(): void {
    this.timer.stop();
  }
}

/** Adds up the per-address send counts of every worker. Pure. */
export function mergeSentByInbox(parts: (Record<string, number> | undefined)[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p ?? {})) total[k] = (total[k] ?? 0) + v;
  return total;
}
