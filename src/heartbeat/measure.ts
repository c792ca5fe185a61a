import type { DetectionStats } from './result.js';

/**
 * Dead-peer detection times (monotonic µs, as a side recorded them) → how long after `injectedAtUs`
 * they came, in real milliseconds (scaled-time figures multiplied by timeScale). Only the earliest
 * `atMost` count: one per peer, when a side may also declare dead the connections that replaced them. Pure.
 */
export function detectionStats(
  detectedAtUs: readonly number[],
  injectedAtUs: number,
  timeScale: number,
  atMost = Infinity,
): DetectionStats {
  const ms = detectedAtUs
    .filter((at) => at >= injectedAtUs)
    .map((at) => ((at - injectedAtUs) / 1000) * timeScale)
    .sort((a, b) => a - b)
    .slice(0, atMost);
  if (ms.length === 0) return { detected: 0, p50Ms: null, maxMs: null };
  return { detected: ms.length, p50Ms: Math.round(ms[Math.floor((ms.length - 1) / 2)]!), maxMs: Math.round(ms[ms.length - 1]!) };
}

/** Bytes over a scaled window → bytes per client per real minute. Pure. */
export function bytesPerClientPerMinute(bytes: number, clients: number, scaledWindowMs: number, timeScale: number): number {
  const realMinutes = (scaledWindowMs * timeScale) / 60_000;
  if (!(clients > 0) || !(realMinutes > 0)) return 0;
  return Math.round((bytes / clients / realMinutes) * 10) / 10;
}
