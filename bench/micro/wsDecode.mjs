// @ts-check
/**
 * The lean websocket client's decoding cost per message, without sockets: the frames the reference
 * server writes for a broadcast (20,000 text frames of a message with 128 B padding, in 64 KiB
 * reads) through ServerFrameDecoder and what LeanWebsocketClient does with each text frame
 * (serverText.js), on a subscribed client. CPU time of this process per message, over 30 passes
 * after 20 of warm-up. As with sseDecode.mjs, the figure can double while the other vCPU is busy:
 * take the lowest of a few runs, and compare two builds run by turns. Run after `npm run build`:
 *   node bench/micro/wsDecode.mjs
 */
import { ServerFrameDecoder } from '../../dist/models/websocket/frameDecoder.js';
import * as serverText from '../../dist/models/websocket/serverText.js';
import { textFrame } from '../../dist/models/websocket/protocol.js';
import { MAX_MESSAGE_BYTES, encodeMessage, paddingOf } from '../../dist/models/message.js';
import { printDecodeCost, readsOf } from './decodeCost.mjs';

const MESSAGES = 20_000;
const frames = [];
for (let seq = 1; seq <= MESSAGES; seq++) frames.push(textFrame(encodeMessage({ seq, t: 1e10 + seq, body: paddingOf(128) })));
const reads = readsOf(Buffer.concat(frames));
/** Only what onServerText/onServerBytes read of a subscribed client's lifecycle. */
const life = /** @type {any} */ ({ subscribed: true, abort: () => undefined });

printDecodeCost('messages', (count) => {
  const h = /** @type {any} */ ({ onMessage: (/** @type {{ seq: number }} */ m) => count(m.seq) });
  const decoder = new ServerFrameDecoder(
    {
      // Text or bytes, whichever the build passes, so that two builds can be run by turns.
      onText: (/** @type {Buffer | string} */ t) =>
        typeof t === 'string' ? serverText.onServerText(life, h, t, 0) : /** @type {any} */ (serverText).onServerBytes(life, h, t, 0),
      onBinary: () => undefined,
      onPing: () => undefined,
      onPong: () => undefined,
      onClose: () => undefined,
    },
    MAX_MESSAGE_BYTES,
  );
  for (const r of reads) decoder.push(r);
});
