import type { ClientHandler } from '../types.js';
import type { ClientLifecycle } from '../push/clientLifecycle.js';
import { transportError } from '../../util/errors.js';
import { parseServerText } from './protocol.js';
import { decodeEnvelopeBytes } from '../messageBytes.js';

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

/**
 * onServerText of a text frame's UTF-8 bytes: a message of the envelope's exact shape is read in
 * place (no string per message), anything else as text.
 */
export function onServerBytes(life: ClientLifecycle, h: ClientHandler, bytes: Buffer, atUs: number): void {
  const m = life.subscribed ? decodeEnvelopeBytes(bytes, 0, bytes.length) : undefined;
  if (m) h.onMessage(m, atUs);
  else onServerText(life, h, bytes.toString('utf8'), atUs);
}

export function badFrame(life: ClientLifecycle, what: string): void {
  life.abort(transportError('CB_ERR_BAD_FRAME', `the server sent ${what}`));
}
