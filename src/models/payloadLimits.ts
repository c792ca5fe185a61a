import { MAX_MESSAGE_BYTES } from './message.js';
import { MAX_SEND_BODY_BYTES } from './sendBody.js';

/**
 * The largest payload each workload can carry through every model, so a scenario is refused before
 * it starts rather than failing in the server: a broadcast message must fit the 16 MiB frame limit
 * every client keeps (MAX_MESSAGE_BYTES), a chat send the 1 MiB limit on what a client may send
 * (MAX_SEND_BODY_BYTES: POST /send, a websocket message, a tcp SEND). ENVELOPE_BYTES is room for
 * the rest of the message: `{"seq":…,"t":…,"from":…,"to":…,"body":"…"}` and a frame's header.
 */
export const ENVELOPE_BYTES = 1024;
export const MAX_BROADCAST_PAYLOAD_BYTES = MAX_MESSAGE_BYTES - ENVELOPE_BYTES;
export const MAX_CHAT_PAYLOAD_BYTES = MAX_SEND_BODY_BYTES - ENVELOPE_BYTES;
