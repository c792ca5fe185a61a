import { transportError, type ConnbenchError } from '../../util/errors.js';

/** The error a non-200 answer stands for: the server's own code when it sent one, else the status. */
export function errorOfResponse(statusCode: number, text: string): ConnbenchError {
  let code = `CB_ERR_HTTP_${statusCode}`;
  let message = `the server answered ${statusCode}`;
  try {
    const o = JSON.parse(text) as { error?: unknown; message?: unknown } | null;
    if (typeof o?.error === 'string' && o.error.startsWith('CB_ERR_')) code = o.error;
    if (typeof o?.message === 'string') message += `: ${o.message}`;
  } catch {
    // Not JSON (a proxy's error page, say): the status alone says enough.
  }
  return transportError(code, message);
}
