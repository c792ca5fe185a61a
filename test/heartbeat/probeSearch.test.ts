import { describe, expect, it } from 'vitest';
import { INITIAL_SEARCH, applyOutcome, bracketSilences, refineSilences, type SearchState } from '../../src/heartbeat/probeSearch.js';

/** Runs the search against a simulated path that cuts silences ≥ T, observed (FIN) or not (silent). */
function simulate(timeoutMs: number, observed: boolean, resolutionMs: number, parallel = 4): { state: SearchState; rounds: number } {
  const outcome = (silenceMs: number) =>
    silenceMs < timeoutMs ? { silenceMs, survived: true } : { silenceMs, survived: false, ...(observed ? { cutAfterMs: timeoutMs } : {}) };
  let state = INITIAL_SEARCH;
  for (const s of bracketSilences(1000, 600_000)) state = applyOutcome(state, outcome(s));
  let rounds = 1;
  for (let next = refineSilences(state, resolutionMs, parallel); next.length > 0; next = refineSilences(state, resolutionMs, parallel)) {
    for (const s of next) state = applyOutcome(state, outcome(s));
    rounds++;
    if (rounds > 50) throw new Error('the search does not end');
  }
  return { state, rounds };
}

describe('probe search', () => {
  it('brackets with doubling silences up to the maximum', () => {
    expect(bracketSilences(1000, 10_000)).toEqual([1000, 2000, 4000, 8000, 10_000]);
    expect(bracketSilences(500, 500)).toEqual([500]);
  });

  it('finds an observed cut in two rounds, within the resolution', () => {
    const { state, rounds } = simulate(60_000, true, 1000);
    expect(rounds).toBe(2);
    expect(state.cutMs).toBe(60_000);
    expect(state.cutMs! - state.survivedMs).toBeLessThanOrEqual(1000);
    expect(state.survivedMs).toBeLessThan(60_000);
  });

  it('finds a silent drop by k-ary search, within the resolution', () => {
    for (const t of [4321, 240_000, 350_000]) {
      const { state } = simulate(t, false, 1000);
      expect(state.survivedMs).toBeLessThan(t);
      expect(state.cutMs!).toBeGreaterThanOrEqual(t);
      expect(state.cutMs! - state.survivedMs).toBeLessThanOrEqual(1000);
    }
  });

  it('keeps the tightest bounds whatever order outcomes arrive in', () => {
    let s = applyOutcome(INITIAL_SEARCH, { silenceMs: 8000, survived: false, cutAfterMs: 5000 });
    s = applyOutcome(s, { silenceMs: 16_000, survived: false, cutAfterMs: 5100 });
    s = applyOutcome(s, { silenceMs: 2000, survived: true });
    s = applyOutcome(s, { silenceMs: 1000, survived: true });
    expect(s).toEqual({ survivedMs: 2000, cutMs: 5000, cutObserved: true });
    expect(refineSilences(s, 500, 4)).toEqual([2625, 3250, 3875, 4500]);
    expect(refineSilences({ ...s, survivedMs: 4600 }, 500, 4)).toEqual([]);
  });
});
