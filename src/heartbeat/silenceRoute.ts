import type { ServerHost } from '../models/types.js';
import { respond } from '../models/http/respond.js';

/** `GET /probe/silence?ms=N`: the route `connbench heartbeat probe` asks through an intermediary. */
export const SILENCE_PATH = '/probe/silence';
/** The first line, sent at once; the silence starts when it leaves. */
export const SILENCE_OPEN_LINE = 'open\n';
/** The last line, sent when the silence is over; the body ends with it. */
export const SILENCE_DONE_PREFIX = 'done';
/** An hour of silence is longer than any intermediary keeps an idle connection. */
export const MAX_SILENCE_MS = 3_600_000;

/**
 * Registers the silence route (only `connbench serve` does: a benchmark run has no use for it).
 * The answer starts at once, so the connection is established end to end through the
 * intermediary, then nothing at all, no heartbeat, no byte, for `ms`, then one last line. Whether
 * that line arrives tells whether the path survives that much silence.
 */
export function registerSilenceRoute(host: Pick<ServerHost, 'route' | 'count'>): void {
  host.route('GET', SILENCE_PATH, (_req, res, url) => {
    const raw = url.searchParams.get('ms') ?? '';
    const silenceMs = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
    if (!(silenceMs <= MAX_SILENCE_MS)) {
      host.count('badRequests');
      return respond(res, 400, {
        error: 'CB_ERR_BAD_SILENCE',
        message: `ms must be an integer of milliseconds up to ${MAX_SILENCE_MS}, got "${raw}"`,
      });
    }
    host.count('silenceProbes');
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx buffers proxied responses unless told not to; a buffered first line proves nothing.
      'x-accel-buffering': 'no',
    });
    res.write(SILENCE_OPEN_LINE);
    const timer = setTimeout(() => res.end(`${SILENCE_DONE_PREFIX} ${silenceMs}\n`), silenceMs);
    res.once('close', () => clearTimeout(timer));
  });
}
