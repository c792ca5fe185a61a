import type { ConnectionRecord } from '../proxy/connection.js';
import type { DetectionStats } from './result.js';

/**
 * How long after `injectedAtUs` each side of the half-opened connections closed, in real
 * milliseconds (scaled-time figures multiplied by timeScale). Pure.
 */
export function detectionStats(injected: readonly ConnectionRecord[], injectedAtUs: number, side: 'client' | 'server', timeScale: number): DetectionStats {
  const ms = injected
    .map((r) => (side === 'client' ? r.clientClosedAtUs : r.serverClosedAtUs))
    .filter((at): at is number => at !== undefined)
    .map((at) => (Math.max(0, at - injectedAtUs) / 1000) * timeScale)
    .sort((a, b) => a - b);
  if (ms.length === 0) return { detected: 0, p50Ms: null, maxMs: null };
  return { detected: ms.length, p50Ms: Math.round(ms[Math.floor((ms.length - 1) / 2)]!), maxMs: Math.round(ms[ms.length - 1]!) };
}

/** Bytes over a scaled window → bytes per client per real minute. Pure. */
export function bytesPerClientPerMinute(bytes: number, clients: number, scaledWindowMs: number, timeScale: number): number {
  const realMinutes = (scaledWindowMs * timeScale) / 60_000;
  if (!(clients > 0) || !(realMinutes > 0)) return 0;
  return Math.round((bytes / clients / realMinutes) * 10) / 10;
}
