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
  const limits = limitsOf(inp, rows);
  const rejected: string[] = [];
  let chosen: HeartbeatIntervalResult | undefined;
  for (const r of rows) {
    const why = rejectionsOf(r, limits, inp.detectWithinMs);
    if (why.length === 0) {
      chosen = r;
      break;
    }
    rejected.push(`${fmt(r.intervalMs)}: ${why.join('; ')}`);
  }
  const choice = chosen ? measuredChoice(chosen, inp) : computedChoice(limits, inp);
  const reasons = [
    `the ${inp.intermediary} closes connections idle for ${fmt(inp.idleTimeoutMs)}; with a ${Math.round(inp.safetyMargin * 100)}% safety margin a heartbeat must come at least every ${fmt(limits.maxByIdleTimeoutMs)}`,
    ...choice.reasons,
  ];
  if (rejected.length > 0) reasons.push(`longer intervals rejected: ${rejected.join('; ')}`);
  return {
    intervalMs: choice.intervalMs,
    timeoutMs: chosen?.timeoutMs ?? limits.timeoutMsFor(choice.intervalMs),
    measured: chosen !== undefined,
    maxByIdleTimeoutMs: Math.round(limits.maxByIdleTimeoutMs),
    maxByDetectionMs: Math.round(limits.maxByDetectionMs),
    worstDetectionMs: Math.round(choice.worstDetectionMs),
    reasons,
    cost: costAt(choice.intervalMs, heartbeatBytesPerConnectionPerMinuteAt(choice.intervalMs, rows, chosen)),
  };
}

/** The longest interval each limit allows, and how the sweep pairs an interval with its timeout. */
interface Limits {
  maxByIdleTimeoutMs: number;
  maxByDetectionMs: number;
  /** detectionOvershoot of the sweep. */
  overshoot: number;
  /** The sweep's one fixed timeout, or its timeout-to-interval ratio times the interval. */
  timeoutMsFor(intervalMs: number): number;
}

/** rows: longest interval first. */
function limitsOf(inp: RecommendInput, rows: readonly HeartbeatIntervalResult[]): Limits {
  const longest = rows[0]!;
  const sameTimeout = rows.every((r) => r.timeoutMs === longest.timeoutMs);
  const ratio = longest.timeoutMs / longest.intervalMs;
  const overshoot = detectionOvershoot(rows);
  return {
    maxByIdleTimeoutMs: inp.idleTimeoutMs * (1 - inp.safetyMargin),
    // (interval + timeout) × overshoot ≤ target, with the timeout fixed or a multiple of the interval.
    maxByDetectionMs: sameTimeout ? inp.detectWithinMs / overshoot - longest.timeoutMs : inp.detectWithinMs / ((1 + ratio) * overshoot),
    overshoot,
    timeoutMsFor: (intervalMs) => (sameTimeout ? longest.timeoutMs : intervalMs * ratio),
  };
}

/** Why a swept interval is not the one to use; none when it is. */
function rejectionsOf(r: HeartbeatIntervalResult, limits: Limits, detectWithinMs: number): string[] {
  const why: string[] = [];
  if (!keptAll(r))
    why.push(
      r.connections.idleCuts > 0
        ? `cut ${r.connections.idleCuts} time(s) by the idle timeout`
        : `kept ${r.connections.survived}/${r.connections.initial}, lost ${r.messages.lost}`,
    );
  if (r.intervalMs > limits.maxByIdleTimeoutMs) why.push(`beyond the safety margin (max ${fmt(limits.maxByIdleTimeoutMs)})`);
  const worst = worstDetectionMs(r);
  if (worst > detectWithinMs)
    why.push(Number.isFinite(worst) ? `a dead peer could go unnoticed for ${fmt(worst)}` : 'not every dead peer was noticed');
  return why;
}

/** The interval recommended, its worst dead-peer detection, and the reasons that are its own. */
interface Choice {
  intervalMs: number;
  worstDetectionMs: number;
  reasons: string[];
}

/** A swept interval that met every condition: what the lab saw of it. */
function measuredChoice(chosen: HeartbeatIntervalResult, inp: RecommendInput): Choice {
  const worst = worstDetectionMs(chosen);
  const reasons = [
    `a dead peer is noticed within ${fmt(worst)} (interval + timeout${worst > chosen.intervalMs + chosen.timeoutMs ? ', as measured' : ''}), inside the ${fmt(inp.detectWithinMs)} target`,
    `in the lab it kept ${chosen.connections.survived}/${chosen.connections.initial} connections for ${fmt(inp.observeMs)} with ${chosen.messages.lost} messages lost`,
  ];
  if (chosen.detection.server.detected === 0)
    reasons.push(
      'the server never noticed a half-open client (nothing reached it to check): only the client reconnects; the server keeps its end until TCP gives up',
    );
  return { intervalMs: chosen.intervalMs, worstDetectionMs: worst, reasons };
}

/** No swept interval met every condition: the longest the limits allow, to be confirmed by a run. */
function computedChoice(limits: Limits, inp: RecommendInput): Choice {
  const { maxByIdleTimeoutMs, maxByDetectionMs, overshoot } = limits;
  // Rounded down: both are limits, and a rounded-up interval would pass them.
  const intervalMs = niceFloorMs(Math.max(1, Math.min(maxByIdleTimeoutMs, maxByDetectionMs)));
  const late = overshoot > 1.005 ? `, with dead-peer checks that ran up to ${Math.round((overshoot - 1) * 100)}% late in the lab` : '';
  return {
    intervalMs,
    worstDetectionMs: (intervalMs + limits.timeoutMsFor(intervalMs)) * overshoot,
    reasons: [
      `the ${fmt(inp.detectWithinMs)} detection target allows at most ${fmt(maxByDetectionMs)} (interval + timeout${late})`,
      `no swept interval met every condition: run again with --intervals ${fmt(intervalMs)} to confirm it`,
    ],
  };
}

/**
 * Heartbeat bytes per connection per minute at intervalMs, from the bytes of one heartbeat as
 * measured at the chosen interval, else the shortest that kept every connection, else the shortest.
 */
function heartbeatBytesPerConnectionPerMinuteAt(
  intervalMs: number,
  rows: readonly HeartbeatIntervalResult[],
  chosen: HeartbeatIntervalResult | undefined,
): number {
  const keptRows = rows.filter(keptAll);
  const bytesRow = chosen ?? keptRows[keptRows.length - 1] ?? rows[rows.length - 1]!;
  const bytesPerHeartbeat = (bytesRow.heartbeatBytesPerConnectionPerMinute * bytesRow.intervalMs) / 60_000;
  return (bytesPerHeartbeat * 60_000) / intervalMs;
}
