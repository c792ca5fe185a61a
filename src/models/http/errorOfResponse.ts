import { transportError, type ConnbenchError } from '../../util/errors.js';

/**
 * How much of a refused request's body a streaming client keeps for errorOfResponse: the server's
 * error JSON is far smaller, and a proxy's error page need not be read whole.
 */
export const MAX_ERROR_BODY_BYTES = 4096;

/**
 * The error a non-200 answer stands for: the server's own code when it sent one, else the status.
 * `what` says what happened; the server's own message, when it sent one, follows it.
 */
export function errorOfResponse(statusCode: number, text: string, what = `the server answered ${statusCode}`): ConnbenchError {
  let code = `CB_ERR_HTTP_${statusCode}`;
  let message = what;
  try {
    const o = JSON.parse(text) as { error?: unknown; message?: unknown } | null;
    if (typeof o?.error === 'string' && o.error.startsWith('CB_ERR_')) code = o.error;
    if (typeof o?.message === 'string') message += `: ${o.message}`;
  } catch {
    // Not JSON (a proxy's error page, say): the status alone says enough.
  }
  return transportError(code, message);
}
