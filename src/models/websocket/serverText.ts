import type { ClientHandler } from '../types.js';
import type { ClientLifecycle } from '../push/clientLifecycle.js';
import { transportError } from '../../util/errors.js';
import { parseServerText } from './protocol.js';

/**
 * What both websocket clients do with a server text frame: a message after the hello goes to the
 * handler, the hello subscribes, a gap is reported, anything else ends the connection.
 */
export function onServerText(life: ClientLifecycle, h: ClientHandler, text: string, atUs: number): void {
  const f = parseServerText(text);
  if ('invalid' in f) return badFrame(life, f.invalid === 'a malformed message' ? 'a malformed or premature message' : f.invalid);
  if (f.type === 'message') {
    if (!life.subscribed) return badFrame(life, 'a malformed or premature message');
    return h.onMessage(f.message, atUs);
  }
  if (f.type === 'hello') {
    if (life.subscribed) return badFrame(life, 'a second hello');
    return life.subscribedAt(f.cursor, atUs);
  }
  if (!life.subscribed) return badFrame(life, 'a gap before its hello');
  life.gap(f.gap, atUs);
}

export function badFrame(life: ClientLifecycle, what: string): void {
  life.abort(transportError('CB_ERR_BAD_FRAME', `the server sent ${what}`));
}
