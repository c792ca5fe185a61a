import { lazyPackage } from '../../util/lazyPackage.js';
import type { ClientOptions } from '../types.js';
import { codeOfSocketError, transportError, type ConnbenchError } from '../../util/errors.js';
import { errorOfResponse } from './errorOfResponse.js';
import { httpOrigin } from '../transport.js';

const undici = lazyPackage<typeof import('undici')>('undici');

/** What one fire-and-forget POST is, for its request and its error messages. */
export interface PostSpec {
  /** Path and query, e.g. `/send` or `/events/alive?stream=7`. */
  path: string;
  /** JSON body; none when absent. */
  json?: string;
  /** The status that means it was taken (200 for a send, 204 for an echo). */
  okStatus: number;
  /** "a chat send", "a heartbeat echo": named in the errors. */
  what: string;
}

/**
 * A POST of the HTTP models' clients on their own dispatcher (which sends every non-GET on a
 * connection of its own, never queued behind a poll or a stream), with the heartbeat timeout as
 * its deadline. Failures are reported through onError with a code, never thrown; the answer is
 * always read to the end, so the connection is free for the next request.
 */
export function post(o: ClientOptions, p: PostSpec, onError: (e: ConnbenchError) => void): void {
  undici()
    .request(`${httpOrigin(o)}${p.path}`, {
      method: 'POST',
      dispatcher: o.dispatcher,
      ...(p.json !== undefined ? { headers: { 'content-type': 'application/json' }, body: p.json } : {}),
      headersTimeout: o.heartbeat.timeoutMs,
      bodyTimeout: o.heartbeat.timeoutMs,
    })
    .then(
      async (res) => {
        const text = await res.body.text();
        if (res.statusCode !== p.okStatus) onError(errorOfResponse(res.statusCode, text));
      },
      (err: unknown) => onError(transportError(codeOfSocketError(err), `${p.what} failed: ${(err as Error)?.message ?? String(err)}`, err)),
    )
    .catch((err: unknown) => onError(transportError(codeOfSocketError(err), `${p.what}'s answer could not be read`, err)));
}
