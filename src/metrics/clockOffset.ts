/**
 * How far another host's monotonic clock is from ours, NTP style. Each exchange stamps our clock
 * before sending (sentUs), the other host's clock as it answers (peerUs) and ours when the answer
 * is read (receivedUs). The answer was stamped somewhere inside the round trip, so of all exchanges
 * the one with the smallest round trip pins the offset best: offset = peer − midpoint, and the true
 * offset is within half that round trip of it, whatever the network did. Pure.
 */

export interface ClockExchange {
  sentUs: number;
  peerUs: number;
  receivedUs: number;
}

/** One estimate: peer clock = our clock + offsetUs, give or take boundUs. */
export interface OffsetEstimate {
  offsetUs: number;
  /** Half the smallest round trip: the offset is certainly within this of offsetUs. */
  boundUs: number;
  minRttUs: number;
  /** Our clock at the midpoint of the exchange used, for the drift between two estimates. */
  atUs: number;
  exchanges: number;
}

/**
 * The offset through a window measured before (and after) it: the one applied to every receive time,
 * how far off it may be at any moment of the window, and how fast the two clocks drift apart.
 */
export interface ClockFigures {
  /** Peer (server) clock − our clock, from the estimate before the window: what corrections add. */
  offsetUs: number;
  /**
   * How far offsetUs may be from the true offset anywhere in the window. With the clocks drifting
   * steadily, the true offset moves between its values at the two estimates, so this is the larger
   * of the first estimate's bound and the distance to the second estimate plus its bound.
   */
  boundUs: number;
  /** (after − before) / time between them, parts per million; 0 with no second estimate. */
  driftPpm: number;
  /** How far driftPpm may be off: the two bounds over the time between the estimates (a few seconds apart, this is wide). */
  driftBoundPpm: number;
  before: OffsetEstimate;
  after?: OffsetEstimate;
}

/** The estimate of a set of exchanges: the one with the smallest round trip. */
export function estimateOffset(exchanges: ClockExchange[]): OffsetEstimate {
  if (exchanges.length === 0) throw new Error('estimateOffset needs at least one exchange');
  let best = exchanges[0]!;
  for (const x of exchanges) if (x.receivedUs - x.sentUs < best.receivedUs - best.sentUs) best = x;
  const rttUs = Math.max(0, best.receivedUs - best.sentUs);
  const atUs = (best.sentUs + best.receivedUs) / 2;
  return { offsetUs: best.peerUs - atUs, boundUs: rttUs / 2, minRttUs: rttUs, atUs, exchanges: exchanges.length };
}

/** The figures of a window from its estimates before and after (see ClockFigures). */
export function clockFigures(before: OffsetEstimate, after?: OffsetEstimate): ClockFigures {
  if (!after) return { offsetUs: before.offsetUs, boundUs: before.boundUs, driftPpm: 0, driftBoundPpm: 0, before };
  const movedUs = after.offsetUs - before.offsetUs;
  const elapsedUs = after.atUs - before.atUs;
  return {
    offsetUs: before.offsetUs,
    boundUs: Math.max(before.boundUs, Math.abs(movedUs) + after.boundUs),
    driftPpm: elapsedUs > 0 ? (movedUs / elapsedUs) * 1e6 : 0,
    driftBoundPpm: elapsedUs > 0 ? ((before.boundUs + after.boundUs) / elapsedUs) * 1e6 : 0,
    before,
    after,
  };
}
