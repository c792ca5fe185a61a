import type { ClientOptions } from '../types.js';
import type { ConnbenchError } from '../../util/errors.js';
import { post } from '../http/post.js';
import { ALIVE_PATH } from './frames.js';

/**
 * Answers one heartbeat of stream `stream` with `POST /events/alive?stream=K` (frames.ts helloFrame
 * has the contract), so the server sees this client alive. Failures are reported, never thrown;
 * the stream itself is the watchdog's concern, not the echo's.
 */
export function echoHeartbeat(o: ClientOptions, stream: number, onError: (e: ConnbenchError) => void): void {
  post(o, { path: `${ALIVE_PATH}?stream=${stream}`, okStatus: 204, what: 'a heartbeat echo' }, onError);
}
