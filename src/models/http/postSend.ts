import { request } from 'undici';
import type { ClientOptions } from '../types.js';
import type { Outgoing } from '../message.js';
import { codeOfSocketError, transportError, type ConnbenchError } from '../../util/errors.js';
import { errorOfResponse } from './errorOfResponse.js';

/** Chat send of the HTTP models: `POST /send` on its own request; failures reported, never thrown. */
export function postSend(o: ClientOptions, m: Outgoing, onError: (e: ConnbenchError) => void): void {
  const body = JSON.stringify({ from: o.user, to: m.to, t: m.t, body: m.body });
  request(`http://${o.host}:${o.httpPort}/send`, {
    method: 'POST',
    dispatcher: o.dispatcher,
    headers: { 'content-type': 'application/json' },
    body,
    headersTimeout: o.heartbeat.timeoutMs,
    bodyTimeout: o.heartbeat.timeoutMs,
  }).then(
    async (res) => {
      const text = await res.body.text();
      if (res.statusCode !== 200) onError(errorOfResponse(res.statusCode, text));
    },
    (err: unknown) => onError(transportError(codeOfSocketError(err), `a chat send failed: ${(err as Error)?.message ?? String(err)}`, err)),
  ).catch((err: unknown) => onError(transportError(codeOfSocketError(err), `a chat send's answer could not be read`, err)));
}
