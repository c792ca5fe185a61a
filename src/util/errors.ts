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

/**
 * OpenSSL's certificate verification results as Node reports them in `err.code` (X509_V_ERR_* without
 * the prefix), and Node's own name check: the client did not trust the server it reached.
 */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'IP_ADDRESS_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A TLS failure's stable code: CB_ERR_TLS_VERIFY when the client refused the server's certificate,
 * CB_ERR_TLS_PROTOCOL when the two sides could not speak TLS to each other (a TLS client at a plain
 * port: OpenSSL's `ERR_SSL_*`, or EPROTO as ws surfaces it); undefined for any other error.
 */
export function tlsErrorCode(code: string): string | undefined {
  if (TLS_VERIFY_CODES.has(code)) return 'CB_ERR_TLS_VERIFY';
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO' || code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'CB_ERR_TLS_PROTOCOL';
  return undefined;
}

/** Maps a Node socket error to the stable code we count it under. */
export function codeOfSocketError(err: unknown): string {
  if (err instanceof ConnbenchError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const tls = tlsErrorCode(code);
    if (tls) return tls;
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
