import { ConnbenchError } from '../util/errors.js';

/** The exit codes users and CI scripts rely on (docs/contract.md, Exit codes). */
export const EXIT = { ok: 0, threshold: 1, input: 2, run: 3, sigint: 130, sigterm: 143 } as const;

/** The only place errors become exit codes. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof ConnbenchError) {
    switch (err.kind) {
      case 'input':
        return EXIT.input;
      case 'threshold':
        return EXIT.threshold;
      default:
        return EXIT.run;
    }
  }
  return EXIT.run;
}

/** "connbench: <message>\n  hint: <hint>" for stderr. */
export function formatError(err: unknown): string {
  if (err instanceof ConnbenchError) {
    return `connbench: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}\n  (${err.code})\n`;
  }
  const e = err as Error;
  return `connbench: unexpected error: ${e?.stack ?? String(err)}\n`;
}
