import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { inputError } from '../util/errors.js';
import { SILENCE_DONE_PREFIX, SILENCE_OPEN_LINE, SILENCE_PATH } from './silenceRoute.js';
import { INITIAL_SEARCH, applyOutcome, bracketSilences, refineSilences, type SearchState } from './probeSearch.js';

export interface ProbeOptions {
  /** The intermediary's address in front of `connbench serve`, e.g. http://lb.example:80/ */
  via: string;
  resolutionMs: number;
  maxMs: number;
  /** The first (shortest) silence tried. */
  startMs: number;
  /** Probes in flight per refining round. */
  parallel: number;
  /** Called as each probe ends (progress for a TTY). */
  onAttempt?: (a: ProbeAttempt) => void;
}

/** How a probe's connection ended when its silence was not survived. */
export type CutBy = 'fin' | 'rst' | 'status' | 'silence' | 'error';

export interface ProbeAttempt {
  silenceMs: number;
  survived: boolean;
  cutBy?: CutBy;
  /** The status the intermediary answered with instead of the stream (e.g. 504). */
  status?: number;
  /** For a cut seen as it happened: how long after the silence began (ms). */
  cutAfterMs?: number;
}

export interface ProbeResult {
  schemaVersion: 1;
  kind: 'heartbeat-probe';
  via: string;
  startedAt: string;
  finishedAt: string;
  /** The estimate: the shortest silence that was cut; null when nothing was cut up to maxMs. */
  idleTimeoutMs: number | null;
  /** The longest silence that survived. */
  survivedMs: number;
  resolutionMs: number;
  maxMs: number;
  /** How the intermediary cut: the cut of the attempt that set the estimate. */
  cutBy: CutBy | null;
  status: number | null;
  attempts: ProbeAttempt[];
}

/** Time allowed for the preflight request and for a stream's first line. */
const CONNECT_WAIT_MS = 10_000;

/** A probe whose last line has not come this long after its silence ended has been dropped silently. */
export function graceMs(silenceMs: number): number {
  return 1000 + silenceMs / 20;
}

function baseUrl(via: string): URL {
  let u: URL;
  try {
    u = new URL(via);
  } catch {
    throw inputError('CB_ERR_BAD_VIA', `--via must be a URL like http://127.0.0.1:8088/, got "${via}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw inputError('CB_ERR_BAD_VIA', `--via must be an http:// or https:// URL, got "${via}"`);
  // The silence route is relative to the URL's path, so a path prefix on the intermediary works.
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}

export function silenceUrl(base: URL, silenceMs: number): URL {
  return new URL(`${SILENCE_PATH.slice(1)}?ms=${Math.round(silenceMs)}`, base);
}

/**
 * One silence through the intermediary: the server starts the answer, says nothing for silenceMs,
 * then ends it. Resolves how it went; never rejects.
 */
export function probeOnce(base: URL, silenceMs: number, signal?: AbortSignal): Promise<ProbeAttempt> {
  const get = base.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve) => {
    const sentAtMs = performance.now();
    let openedAtMs: number | undefined;
    let text = '';
    let sawFin = false;
    let settled = false;
    const finish = (a: Omit<ProbeAttempt, 'silenceMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
      req.destroy();
      const cutAfterMs = a.survived || a.cutBy === 'silence' ? undefined : Math.round(performance.now() - (openedAtMs ?? sentAtMs));
      resolve({ silenceMs, ...a, ...(cutAfterMs !== undefined ? { cutAfterMs } : {}) });
    };
    const cutNow = () => finish({ survived: false, cutBy: sawFin ? 'fin' : 'rst' });
    let deadline = setTimeout(() => finish({ survived: false, cutBy: 'silence' }), CONNECT_WAIT_MS + silenceMs + graceMs(silenceMs));
    const onAbort = () => finish({ survived: false, cutBy: 'error' });
    signal?.addEventListener('abort', onAbort, { once: true });
    const req = get(silenceUrl(base, silenceMs), { agent: false, headers: { 'cache-control': 'no-cache' } });
    req.on('socket', (s: Socket) => {
      // Ahead of http's own listener, which turns a FIN mid-body into an error at once.
      s.prependListener('end', () => (sawFin = true));
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return finish({ survived: false, cutBy: 'status', status: res.statusCode ?? 0 });
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (openedAtMs === undefined && text.startsWith(SILENCE_OPEN_LINE)) {
          openedAtMs = performance.now();
          clearTimeout(deadline);
          deadline = setTimeout(() => finish({ survived: false, cutBy: 'silence' }), silenceMs + graceMs(silenceMs));
        }
        if (text.includes(`\n${SILENCE_DONE_PREFIX}`)) finish({ survived: true });
      });
      res.on('end', () => (text.includes(`\n${SILENCE_DONE_PREFIX}`) ? finish({ survived: true }) : cutNow()));
      res.on('aborted', cutNow);
      res.on('error', cutNow);
      res.on('close', cutNow);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (sawFin || err.code === 'ECONNRESET' || err.message === 'socket hang up') return cutNow();
      finish({ survived: false, cutBy: 'error' });
    });
  });
}

/** The path must lead to `connbench serve`: anything else is bad input, with the reason. */
async function preflight(base: URL): Promise<void> {
  const get = base.protocol === 'https:' ? https.get : http.get;
  const url = silenceUrl(base, 0);
  const outcome = await new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    const req = get(url, { agent: false, timeout: CONNECT_WAIT_MS });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${CONNECT_WAIT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ? `${err.code} (${err.message})` : err.message }));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c.slice(0, 4096)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
  });
  if ('error' in outcome)
    throw inputError(
      'CB_ERR_VIA_UNREACHABLE',
      `cannot reach ${base.href}: ${outcome.error}`,
      "run `connbench serve` behind your intermediary and pass the intermediary's URL to --via",
    );
  if (outcome.status !== 200 || !outcome.body.startsWith(SILENCE_OPEN_LINE))
    throw inputError(
      'CB_ERR_VIA_NOT_CONNBENCH',
      `${url.href} answered HTTP ${outcome.status}, not connbench's silence stream`,
      'the URL must lead to `connbench serve` (which answers GET /probe/silence); check the path the intermediary forwards',
    );
}

/**
 * Finds the idle timeout of a real path: a round of doubling silences brackets it, then rounds of
 * parallel probes narrow the bracket to the resolution. A probe whose silence is already known to
 * be too long is abandoned as soon as that is known.
 */
export async function probeIdleTimeout(o: ProbeOptions): Promise<ProbeResult> {
  const base = baseUrl(o.via);
  const startedAt = new Date().toISOString();
  await preflight(base);
  let state: SearchState = INITIAL_SEARCH;
  const attempts: ProbeAttempt[] = [];
  let setter: ProbeAttempt | undefined;
  const runRound = async (silences: number[]) => {
    const controllers = silences.map(() => new AbortController());
    await Promise.all(
      silences.map(async (silenceMs, i) => {
        const a = await probeOnce(base, silenceMs, controllers[i]!.signal);
        if (controllers[i]!.signal.aborted) return;
        attempts.push(a);
        o.onAttempt?.(a);
        const before = state.cutMs;
        state = applyOutcome(state, a);
        if (state.cutMs !== before) setter = a;
        // Longer silences than a cut one can only be cut too: stop waiting for them.
        if (state.cutMs !== undefined) silences.forEach((s, j) => s >= state.cutMs! && controllers[j]!.abort());
      }),
    );
  };
  await runRound(bracketSilences(o.startMs, o.maxMs));
  for (
    let next = refineSilences(state, o.resolutionMs, o.parallel);
    next.length > 0;
    next = refineSilences(state, o.resolutionMs, o.parallel)
  ) {
    await runRound(next);
  }
  attempts.sort((a, b) => a.silenceMs - b.silenceMs);
  return {
    schemaVersion: 1,
    kind: 'heartbeat-probe',
    via: base.href,
    startedAt,
    finishedAt: new Date().toISOString(),
    idleTimeoutMs: state.cutMs ?? null,
    survivedMs: state.survivedMs,
    resolutionMs: o.resolutionMs,
    maxMs: o.maxMs,
    cutBy: setter?.cutBy ?? null,
    status: setter?.status ?? null,
    attempts,
  };
}
