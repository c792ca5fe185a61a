import { nowUsFine } from '../metrics/clock.js';
import { estimateOffset, type ClockExchange, type OffsetEstimate } from '../metrics/clockOffset.js';
import { runError } from '../util/errors.js';
import { lazyPackage } from '../util/lazyPackage.js';

// The runner imports this for every run (src/runner/remote/remoteServers.ts); only a run against another host probes its clock.
const undici = lazyPackage<typeof import('undici')>('undici');

/** The control API's clock endpoint (docs/contract.md, Control API). */
export const CLOCK_PATH = '/control/clock';

/**
 * How many exchanges an estimate makes, and for how long at most. The first ones are thrown away:
 * until the JIT has compiled both ends' request paths a round trip on loopback takes 200-400 µs,
 * after about 2,000 it takes 60-80 µs, and the bound is half the smallest round trip (measured:
 * docs/distributed.md). Each part stops at its count or its time, whichever comes first, so a busy
 * host (or a server answering many workers at once) costs seconds, not minutes; the bound it
 * reaches then is wider, and says so.
 */
export interface ProbePlan {
  warmup: number;
  warmupMaxMs: number;
  exchanges: number;
  exchangesMaxMs: number;
}

/** Before the window: cold processes, so a long warm-up. */
export const PROBE_BEFORE: ProbePlan = { warmup: 2000, warmupMaxMs: 2000, exchanges: 500, exchangesMaxMs: 2000 };
/** After it: everything is warm. */
export const PROBE_AFTER: ProbePlan = { warmup: 200, warmupMaxMs: 500, exchanges: 300, exchangesMaxMs: 1000 };
/** For the shard's runner, which only times its own phases by the estimate (milliseconds matter, not microseconds). */
export const PROBE_COARSE: ProbePlan = { warmup: 20, warmupMaxMs: 200, exchanges: 30, exchangesMaxMs: 500 };

/** How long one exchange may take before the estimate gives up. */
const EXCHANGE_TIMEOUT_MS = 10_000;

/**
 * Estimates the offset of the server's monotonic clock from this process's, over one kept-alive
 * connection to `GET /control/clock` (`{"us": <server µs, with fraction>}`).
 */
export async function probeClock(baseUrl: string, token: string, plan: ProbePlan): Promise<OffsetEstimate> {
  const client = new (undici().Client)(baseUrl, { pipelining: 1, headersTimeout: EXCHANGE_TIMEOUT_MS, bodyTimeout: EXCHANGE_TIMEOUT_MS });
  const headers = { authorization: `Bearer ${token}` };
  const kept: ClockExchange[] = [];
  const exchange = async (): Promise<ClockExchange> => {
    const sentUs = nowUsFine();
    const res = await client.request({ method: 'GET', path: CLOCK_PATH, headers });
    const text = await res.body.text();
    const receivedUs = nowUsFine();
    const us = res.statusCode === 200 ? readingOf(text) : undefined;
    if (us === undefined) {
      throw runError(
        'CB_ERR_CONTROL_CLOCK',
        `${baseUrl}${CLOCK_PATH} answered ${res.statusCode}${res.statusCode === 401 ? ' (the token was refused)' : ''}, not a clock reading`,
        "give every shard the server's token in CONNBENCH_TOKEN",
      );
    }
    return { sentUs, peerUs: us, receivedUs };
  };
  try {
    const warmUntil = Date.now() + plan.warmupMaxMs;
    for (let i = 0; i < plan.warmup && Date.now() < warmUntil; i++) await exchange();
    const measureUntil = Date.now() + plan.exchangesMaxMs;
    // At least one exchange, however long it takes: an estimate needs one.
    for (let i = 0; i < plan.exchanges && (i === 0 || Date.now() < measureUntil); i++) kept.push(await exchange());
  } finally {
    await client.close().catch(() => undefined);
  }
  return estimateOffset(kept);
}

function readingOf(text: string): number | undefined {
  try {
    const us = (JSON.parse(text) as { us?: unknown }).us;
    return typeof us === 'number' && Number.isFinite(us) ? us : undefined;
  } catch {
    return undefined;
  }
}
