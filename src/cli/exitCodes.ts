import { ConnbenchError } from '../util/errors.js';
import { TOOL_VERSION } from '../util/version.js';

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

/** "connbench: <message>\n  hint: <hint>\n  (<code>)" for stderr; anything else is a bug, printed with its stack. */
export function formatError(err: unknown): string {
  if (err instanceof ConnbenchError) {
    return `connbench: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}\n  (${err.code})\n`;
  }
  // Nothing a user can cause gets here (that is a ConnbenchError): this is a bug, and its stack is for the report.
  const e = err as Error;
  return (
    `connbench: unexpected error: ${e?.stack ?? String(err)}\n` +
    `  this is a bug in connbench ${TOOL_VERSION}: please report it with the command you ran and this output\n`
  );
}
