/**
 * Every error a user can meet carries a stable code and a sentence they can act on.
 * The CLI is the only place that maps the `kind` to an exit code (see src/cli/exitCodes.ts).
 */
export type ErrorKind =
  | 'input' // bad usage, scenario or result file: exit 2
  | 'run' // the run could not be carried out (limits, crash, port): exit 3
  | 'threshold' // a threshold or comparison failed: exit 1
  | 'transport'; // a connection-level failure inside a run: counted, never fatal

export class ConnbenchError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;

  constructor(code: string, message: string, opts: { kind?: ErrorKind; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ConnbenchError';
    this.code = code;
    this.kind = opts.kind ?? 'run';
    this.hint = opts.hint;
  }
}

export const inputError = (code: string, message: string, hint?: string) =>
  new ConnbenchError(code, message, { kind: 'input', ...(hint ? { hint } : {}) });

export const runError = (code: string, message: string, hint?: string, cause?: unknown) =>
  new ConnbenchError(code, message, { kind: 'run', ...(hint ? { hint } : {}), cause });

export const transportError = (code: string, message: string, cause?: unknown) =>
  new ConnbenchError(code, message, { kind: 'transport', cause });

/** Maps a Node socket error to the stable code we count it under. */
export function codeOfSocketError(err: unknown): string {
  if (err instanceof ConnbenchError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    switch (code) {
      case 'ECONNREFUSED':
        return 'CB_ERR_CONN_REFUSED';
      case 'ECONNRESET':
      case 'EPIPE':
      case 'UND_ERR_SOCKET':
        return 'CB_ERR_CONN_RESET';
      case 'EMFILE':
      case 'ENFILE':
        return 'CB_ERR_EMFILE';
      case 'EADDRNOTAVAIL':
        return 'CB_ERR_EADDRNOTAVAIL';
      case 'ETIMEDOUT':
      case 'UND_ERR_HEADERS_TIMEOUT':
      case 'UND_ERR_BODY_TIMEOUT':
      case 'UND_ERR_CONNECT_TIMEOUT':
        return 'CB_ERR_TIMEOUT';
      default:
        return code.startsWith('CB_ERR_') ? code : `CB_ERR_${code.replace(/^ERR_|^UND_ERR_/, '')}`;
    }
  }
  return 'CB_ERR_UNKNOWN';
}
