import { formatDurationMs } from '../util/units.js';
import { niceFloorMs } from './plan.js';
import type { CostRow, HeartbeatIntervalResult, Recommendation } from './result.js';

/** The fleet sizes the recommendation prices. */
export const COST_CONNECTIONS = [10_000, 100_000, 1_000_000] as const;

export interface RecommendInput {
  idleTimeoutMs: number;
  /** What the idle timeout is called in the reasons ("nginx reverse proxy", "the intermediary"). */
  intermediary: string;
  safetyMargin: number;
  detectWithinMs: number;
  observeMs: number;
  intervals: readonly HeartbeatIntervalResult[];
}

const fmt = (ms: number) => formatDurationMs(Math.round(ms));

/** Heartbeats and payload bytes per second for a fleet. Pure. */
export function costAt(intervalMs: number, bytesPerConnectionPerMinute: number): CostRow[] {
  return COST_CONNECTIONS.map((connections) => ({
    connections,
    heartbeatsPerSec: Math.round((connections * 1000) / intervalMs),
    bytesPerSec: Math.round((connections * bytesPerConnectionPerMinute) / 60),
  }));
}

/** Whether the lab kept every connection of this interval, lost nothing and was never cut. */
export function keptAll(r: HeartbeatIntervalResult): boolean {
  return (
    r.connections.initial > 0 && r.connections.survived === r.connections.initial && r.connections.idleCuts === 0 && r.messages.lost === 0
  );
}

/**
 * Worst case a dead peer goes unnoticed at this interval: interval + timeout, or slower if the lab
 * saw slower. Every client must notice (it is the side that reconnects); the server's figures count
 * when it noticed any (an SSE server without the clients' echo has no check at all).
 */
export function worstDetectionMs(r: HeartbeatIntervalResult): number {
  const d = r.detection;
  if (d.client.detected < d.clients) return Infinity;
  let worst = Math.max(r.intervalMs + r.timeoutMs, d.client.maxMs ?? 0);
  if (d.server.detected > 0) worst = Math.max(worst, d.server.maxMs ?? 0);
  return worst;
}

/**
 * How much later than interval + timeout the lab saw dead peers noticed, at worst, as a factor ≥ 1:
 * the checks run on a shared sweep tick (a quarter of the timeout, or of the interval if shorter),
 * and a computed interval must leave room for it as the swept ones did. Pure.
 */
export function detectionOvershoot(rows: readonly HeartbeatIntervalResult[]): number {
  let factor = 1;
  for (const r of rows) {
    const worst = worstDetectionMs(r);
    if (Number.isFinite(worst)) factor = Math.max(factor, worst / (r.intervalMs + r.timeoutMs));
  }
  return factor;
}

/**
 * The interval to use: the longest swept interval that kept every connection, stays within the
 * idle timeout less the safety margin, and detects a dead peer within the target. When none
 * does, the limits themselves give one, marked as not measured. Pure.
 */
export function recommend(inp: RecommendInput): Recommendation | null {
  const rows = [...inp.intervals].sort((a, b) => b.intervalMs - a.intervalMs);
  if (rows.length === 0) return null;
  const maxByIdleTimeoutMs = inp.idleTimeoutMs * (1 - inp.safetyMargin);
  const sameTimeout = rows.every((r) => r.timeoutMs === rows[0]!.timeoutMs);
  const ratio = rows[0]!.timeoutMs / rows[0]!.intervalMs;
  const overshoot = detectionOvershoot(rows);
  // (interval + timeout) × overshoot ≤ target, with the timeout fixed or a multiple of the interval.
  const maxByDetectionMs = sameTimeout
    ? inp.detectWithinMs / overshoot - rows[0]!.timeoutMs
    : inp.detectWithinMs / ((1 + ratio) * overshoot);
  const timeoutFor = (intervalMs: number) => (sameTimeout ? rows[0]!.timeoutMs : intervalMs * ratio);

  const rejected: string[] = [];
  let chosen: HeartbeatIntervalResult | undefined;
  for (const r of rows) {
    const why: string[] = [];
    if (!keptAll(r))
      why.push(
        r.connections.idleCuts > 0
          ? `cut ${r.connections.idleCuts} time(s) by the idle timeout`
          : `kept ${r.connections.survived}/${r.connections.initial}, lost ${r.messages.lost}`,
      );
    if (r.intervalMs > maxByIdleTimeoutMs) why.push(`beyond the safety margin (max ${fmt(maxByIdleTimeoutMs)})`);
    const worst = worstDetectionMs(r);
    if (worst > inp.detectWithinMs)
      why.push(Number.isFinite(worst) ? `a dead peer could go unnoticed for ${fmt(worst)}` : 'not every dead peer was noticed');
    if (why.length === 0) {
      chosen = r;
      break;
    }
    rejected.push(`${fmt(r.intervalMs)}: ${why.join('; ')}`);
  }

  const keptRows = rows.filter(keptAll);
  const bytesRow = chosen ?? keptRows[keptRows.length - 1] ?? rows[rows.length - 1]!;
  const bytesPerHeartbeat = (bytesRow.heartbeatBytesPerConnectionPerMinute * bytesRow.intervalMs) / 60_000;
  const reasons = [
    `the ${inp.intermediary} closes connections idle for ${fmt(inp.idleTimeoutMs)}; with a ${Math.round(inp.safetyMargin * 100)}% safety margin a heartbeat must come at least every ${fmt(maxByIdleTimeoutMs)}`,
  ];
  let intervalMs: number;
  let measured: boolean;
  let worst: number;
  if (chosen) {
    intervalMs = chosen.intervalMs;
    measured = true;
    worst = worstDetectionMs(chosen);
    reasons.push(
      `a dead peer is noticed within ${fmt(worst)} (interval + timeout${worst > chosen.intervalMs + chosen.timeoutMs ? ', as measured' : ''}), inside the ${fmt(inp.detectWithinMs)} target`,
    );
    reasons.push(
      `in the lab it kept ${chosen.connections.survived}/${chosen.connections.initial} connections for ${fmt(inp.observeMs)} with ${chosen.messages.lost} messages lost`,
    );
    if (chosen.detection.server.detected === 0)
      reasons.push(
        'the server never noticed a half-open client (nothing reached it to check): only the client reconnects; the server keeps its end until TCP gives up',
      );
  } else {
    // Rounded down: both are limits, and a rounded-up interval would pass them.
    intervalMs = niceFloorMs(Math.max(1, Math.min(maxByIdleTimeoutMs, maxByDetectionMs)));
    measured = false;
    worst = (intervalMs + timeoutFor(intervalMs)) * overshoot;
    const late = overshoot > 1.005 ? `, with dead-peer checks that ran up to ${Math.round((overshoot - 1) * 100)}% late in the lab` : '';
    reasons.push(`the ${fmt(inp.detectWithinMs)} detection target allows at most ${fmt(maxByDetectionMs)} (interval + timeout${late})`);
    reasons.push(`no swept interval met every condition: run again with --intervals ${fmt(intervalMs)} to confirm it`);
  }
  if (rejected.length > 0) reasons.push(`longer intervals rejected: ${rejected.join('; ')}`);
  return {
    intervalMs,
    timeoutMs: chosen?.timeoutMs ?? timeoutFor(intervalMs),
    measured,
    maxByIdleTimeoutMs: Math.round(maxByIdleTimeoutMs),
    maxByDetectionMs: Math.round(maxByDetectionMs),
    worstDetectionMs: Math.round(worst),
    reasons,
    cost: costAt(intervalMs, (bytesPerHeartbeat * 60_000) / intervalMs),
  };
}
