import { request } from 'undici';
import type { ClientOptions } from '../types.js';
import { codeOfSocketError, transportError, type ConnbenchError } from '../../util/errors.js';
import { errorOfResponse } from '../http/errorOfResponse.js';
import { ALIVE_PATH } from './frames.js';

/**
 * Answers one heartbeat of stream `stream` with `POST /events/alive?stream=K` (frames.ts helloFrame
 * has the contract), so the server sees this client alive. Through the client's dispatcher, which
 * sends every non-GET on a connection of its own: the echo never queues behind the stream. Failures
 * are reported, never thrown; the stream itself is the watchdog's concern, not the echo's.
 */
export function echoHeartbeat(o: ClientOptions, stream: number, onError: (e: ConnbenchError) => void): void {
  request(`http://${o.host}:${o.httpPort}${ALIVE_PATH}?stream=${stream}`, {
    method: 'POST',
    dispatcher: o.dispatcher,
    headersTimeout: o.heartbeat.timeoutMs,
    bodyTimeout: o.heartbeat.timeoutMs,
  }).then(
    async (res) => {
      // Read to the end even when empty, so the connection is free for the next request.
      const text = await res.body.text();
      if (res.statusCode !== 204) onError(errorOfResponse(res.statusCode, text));
    },
    (err: unknown) => onError(transportError(codeOfSocketError(err), `a heartbeat echo failed: ${(err as Error)?.message ?? String(err)}`, err)),
  ).catch((err: unknown) => onError(transportError(codeOfSocketError(err), `a heartbeat echo's answer could not be read`, err)));
}
