/**
 * The search of `connbench heartbeat probe`, kept pure: which silences to try next, and what each
 * outcome teaches. The idle timeout T lies in (survivedMs, cutMs]: the longest silence seen to
 * survive and the shortest seen to be cut.
 */
export interface SearchState {
  survivedMs: number;
  /** undefined until some silence was cut. */
  cutMs: number | undefined;
  /** Whether cutMs was observed as the moment of a close (FIN, RST, error status) rather than inferred from a silence that never ended. */
  cutObserved: boolean;
}

export const INITIAL_SEARCH: SearchState = { survivedMs: 0, cutMs: undefined, cutObserved: false };

/** The first round: doubling silences from startMs, and maxMs itself, all at once. */
export function bracketSilences(startMs: number, maxMs: number): number[] {
  const out: number[] = [];
  for (let s = startMs; s < maxMs; s *= 2) out.push(Math.round(s));
  out.push(Math.round(maxMs));
  return [...new Set(out)];
}

/**
 * The next round, or [] when the bracket is within resolution. When the cut was observed at a
 * moment, the silence just under it is the likeliest last survivor, so it is tried first; the
 * rest of the probes split what is left evenly.
 */
export function refineSilences(s: SearchState, resolutionMs: number, parallel: number): number[] {
  if (s.cutMs === undefined || s.cutMs - s.survivedMs <= resolutionMs) return [];
  const top = s.cutMs - resolutionMs;
  const out = new Set<number>([Math.round(top)]);
  const spread = Math.max(0, parallel - 1);
  for (let i = 1; i <= spread; i++) out.add(Math.round(s.survivedMs + ((top - s.survivedMs) * i) / (spread + 1)));
  return [...out].filter((ms) => ms > s.survivedMs && ms < s.cutMs!).sort((a, b) => a - b);
}

export interface Outcome {
  silenceMs: number;
  survived: boolean;
  /** For a cut observed as it happened: how long after the silence began. */
  cutAfterMs?: number;
}

/** What one probe's outcome teaches. Pure. */
export function applyOutcome(s: SearchState, o: Outcome): SearchState {
  if (o.survived) return { ...s, survivedMs: Math.max(s.survivedMs, o.silenceMs) };
  // A close seen at a moment bounds T more tightly than the silence that was asked for.
  const observed = o.cutAfterMs !== undefined && o.cutAfterMs < o.silenceMs;
  const at = observed ? Math.max(o.cutAfterMs!, s.survivedMs) : o.silenceMs;
  if (s.cutMs !== undefined && at >= s.cutMs) return s;
  return { ...s, cutMs: at, cutObserved: observed };
}
