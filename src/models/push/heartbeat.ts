import { performance } from 'node:perf_hooks';
import type { HeartbeatSettings } from '../types.js';

/**
 * How often a sweep over every connection runs for a deadline of `shortestMs`: a peer is cut at
 * most this late. The floor keeps a tiny deadline from becoming a busy loop.
 */
export function sweepTickMs(shortestMs: number): number {
  return Math.max(5, shortestMs / 4);
}

/** A server-side connection the sweeper watches. */
export interface Pingable {
  /**
   * When the oldest unanswered ping went out (performance.now() ms); undefined once the peer has
   * been heard from. The connection clears it on every pong or data, without reading a clock.
   */
  awaitingPongSinceMs: number | undefined;
}

/**
 * Server heartbeat for every connection of a model with ONE timer: a timer per connection costs
 * memory and wake-ups per client. The timer ticks at a quarter of the shorter of interval and
 * timeout, so pings go out in one batch every `intervalMs` and a silent peer is terminated at most
 * one tick after `timeoutMs` has passed since its oldest unanswered ping.
 */
export class HeartbeatSweeper<C extends Pingable> {
  private readonly conns = new Set<C>();
  private readonly settings: HeartbeatSettings;
  private readonly ping: (c: C) => void;
  private readonly expire: (c: C) => void;
  private readonly pinged: (count: number) => void;
  private timer: NodeJS.Timeout | undefined;
  private nextPingAtMs = 0;

  /**
   * `ping` sends one heartbeat; `expire` terminates a silent connection (already removed here);
   * `pinged` hears once per tick how many heartbeats went out (never 0), so a server counts their
   * bytes once per interval instead of once per connection.
   */
  constructor(settings: HeartbeatSettings, ping: (c: C) => void, expire: (c: C) => void, pinged: (count: number) => void) {
    this.settings = settings;
    this.ping = ping;
    this.expire = expire;
    this.pinged = pinged;
  }

  start(): void {
    const { intervalMs, timeoutMs } = this.settings;
    if (this.timer || !(intervalMs > 0) || !Number.isFinite(intervalMs)) return;
    const shortestMs = timeoutMs > 0 && Number.isFinite(timeoutMs) ? Math.min(intervalMs, timeoutMs) : intervalMs;
    this.nextPingAtMs = performance.now() + intervalMs;
    this.timer = setInterval(() => this.tick(), sweepTickMs(shortestMs));
    // The connections keep the process alive, not their heartbeat.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.conns.clear();
  }

  add(c: C): void {
    c.awaitingPongSinceMs = undefined;
    this.conns.add(c);
  }

  delete(c: C): void {
    this.conns.delete(c);
  }

  private tick(): void {
    const nowMs = performance.now();
    const { intervalMs, timeoutMs } = this.settings;
    const pingNow = nowMs >= this.nextPingAtMs;
    if (pingNow) {
      this.nextPingAtMs += intervalMs;
      // Fell behind (a blocked event loop): keep the cadence from now rather than burst.
      if (this.nextPingAtMs <= nowMs) this.nextPingAtMs = nowMs + intervalMs;
    }
    const expires = timeoutMs > 0 && Number.isFinite(timeoutMs);
    let pings = 0;
    for (const c of this.conns) {
      const sinceMs = c.awaitingPongSinceMs;
      if (expires && sinceMs !== undefined && nowMs - sinceMs >= timeoutMs) {
        this.conns.delete(c);
        this.expire(c);
        continue;
      }
      if (pingNow) {
        // Ping even while a pong is outstanding: the traffic is what keeps idle-timeout proxies open.
        if (sinceMs === undefined) c.awaitingPongSinceMs = nowMs;
        this.ping(c);
        pings++;
      }
    }
    if (pings > 0) this.pinged(pings);
  }
}
