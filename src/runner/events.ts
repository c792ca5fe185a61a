import type { ModelResult } from '../report/result.js';

export type Phase = 'starting' | 'connecting' | 'settling' | 'warmup' | 'measuring' | 'draining' | 'stopping';

export interface ProgressInfo {
  model: string;
  phase: Phase;
  connected: number;
  target: number;
  delivered: number;
  reconnects: number;
  /** Wall-clock ms at which the current phase is planned to end, when known. */
  phaseEndsAtMs?: number;
}

/**
 * What the runner tells its listeners (progress display, result writer). The run loop only emits;
 * it never prints (autocannon's progressTracker is the model).
 */
export interface RunListener {
  runStarted?(info: { points: number; models: string[] }): void;
  phase?(info: ProgressInfo): void;
  progress?(info: ProgressInfo): void;
  modelStarted?(partial: ModelResult): void;
  modelFinished?(result: ModelResult): void;
  warning?(message: string): void;
}

export function emit<K extends keyof RunListener>(
  listeners: RunListener[],
  event: K,
  ...args: Parameters<NonNullable<RunListener[K]>>
): void {
  for (const l of listeners) {
    const f = l[event] as ((...a: unknown[]) => void) | undefined;
    if (f) {
      try {
        f.apply(l, args);
      } catch {
        // A listener's failure (a closed stderr, say) must not stop the run.
      }
    }
  }
}
