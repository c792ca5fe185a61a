import type { ClientOptions } from '../types.js';
import type { Outgoing } from '../message.js';
import type { ConnbenchError } from '../../util/errors.js';
import { post } from './post.js';

/** Chat send of the HTTP models: `POST /send` on its own request; failures reported, never thrown. */
export function postSend(o: ClientOptions, m: Outgoing, onError: (e: ConnbenchError) => void): void {
  post(
    o,
    { path: '/send', json: JSON.stringify({ from: o.user, to: m.to, t: m.t, body: m.body }), okStatus: 200, what: 'a chat send' },
    onError,
  );
}
