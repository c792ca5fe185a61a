import type { Pool } from 'undici';
import type { FromControl, ToControl } from '../../ipc/control.js';
import { MAX_WAIT_MS } from '../../ipc/control.js';
import { ConnbenchError, codeOfSocketError, runError } from '../../util/errors.js';
import { sleep } from '../../util/sleep.js';
import { lazyPackage } from '../../util/lazyPackage.js';

// The CLI imports this for every command; only talking to `serve --control` (a shard's run, `merge` fetching results) loads undici.
const undici = lazyPackage<typeof import('undici')>('undici');

/** Connection failures worth asking again: the server is starting, or its address does not resolve yet (a Service being created). */
const TRANSIENT = new Set([
  'CB_ERR_CONN_REFUSED',
  'CB_ERR_CONN_RESET',
  'CB_ERR_TIMEOUT',
  'CB_ERR_ENOTFOUND',
  'CB_ERR_EAI_AGAIN',
  'CB_ERR_EHOSTUNREACH',
]);

/** Backoff between attempts that failed, from the first to the most. */
const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5_000;

type Reply<T extends FromControl['type']> = Extract<FromControl, { type: T }>;

export interface CallOptions {
  /** Ask again until then (ms since the epoch): a held request answered `pending`, and with `retryBusy` a busy server. */
  deadlineMs: number;
  retryBusy?: boolean;
  signal?: AbortSignal;
}

/**
 * A shard's side of the control API (src/runner/remote/controlServer.ts): every request carries
 * the token; one that the server holds (`waitMs`) and answers `pending` is sent again until its
 * deadline; a server not yet listening, or busy with the other shards' previous model, is asked
 * again with backoff. Every other answer that is not the one expected is an error with the
 * server's code.
 */
export class ControlClient {
  private readonly pool: Pool;

  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {
    // Held requests last up to MAX_WAIT_MS: undici must not time them out first.
    const timeoutMs = MAX_WAIT_MS + 30_000;
    this.pool = new (undici().Pool)(baseUrl, { connections: 4, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  async call<T extends FromControl['type']>(m: ToControl, expect: T, o: CallOptions): Promise<Reply<T>> {
    for (let attempt = 0; ; attempt++) {
      const waitMs = Math.max(0, Math.min(MAX_WAIT_MS, o.deadlineMs - Date.now()));
      const req = 'waitMs' in m ? { ...m, waitMs } : m;
      const reply = await this.send('POST', '/control', req, o, attempt);
      if (reply === 'retry' || reply.type === 'pending') {
        if (Date.now() >= o.deadlineMs) throw this.late(m.type);
        if (reply === 'retry') await sleep(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt, 8)), o.signal);
        if (o.signal?.aborted) throw runError('CB_ERR_INTERRUPTED', 'the run was interrupted');
        continue;
      }
      if (reply.type === 'error') throw runError(reply.code, `the server: ${reply.message}`, reply.hint);
      if (reply.type !== expect) throw runError('CB_ERR_CONTROL_PROTOCOL', `the server answered "${reply.type}" where "${expect}" was due`);
      return reply as Reply<T>;
    }
  }

  /** Uploads this shard's result to the server (`POST /control/results`); resolves with the name it was stored under. */
  async postResult(doc: unknown, deadlineMs: number): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const reply = await this.send('POST', '/control/results', doc, { deadlineMs }, attempt);
      if (reply !== 'retry') {
        if (reply.type === 'error') throw runError(reply.code, `the server refused the result: ${reply.message}`, reply.hint);
        if (reply.type !== 'stored') throw runError('CB_ERR_CONTROL_PROTOCOL', `the server answered "${reply.type}" to a result upload`);
        return reply.name;
      }
      if (Date.now() >= deadlineMs) throw this.late('result upload');
      await sleep(RETRY_MIN_MS * 2 ** Math.min(attempt, 4));
    }
  }

  /** Every shard result the server holds (`GET /control/results`). */
  async results(): Promise<unknown[]> {
    const reply = await this.send('GET', '/control/results', undefined, { deadlineMs: Date.now() + 30_000 }, 0);
    if (reply === 'retry' || reply.type !== 'results') {
      const why = reply === 'retry' ? '' : reply.type === 'error' ? `: ${reply.message}` : `: it answered "${reply.type}"`;
      throw runError('CB_ERR_CONTROL_UNREACHABLE', `${this.baseUrl} did not list its results${why}`);
    }
    return reply.results;
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }

  /** One request: the answer, or 'retry' for a failure worth another attempt (see TRANSIENT, CB_ERR_SERVER_BUSY). */
  private async send(method: 'GET' | 'POST', path: string, body: unknown, o: CallOptions, attempt: number): Promise<FromControl | 'retry'> {
    try {
      const res = await this.pool.request({
        method,
        path,
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const text = await res.body.text();
      if (res.statusCode === 401) {
        throw runError(
          'CB_ERR_CONTROL_TOKEN',
          `${this.baseUrl} refused the token`,
          'set CONNBENCH_TOKEN to the token `connbench serve --control` printed or was given',
        );
      }
      const reply = parseReply(text, res.statusCode);
      return reply.type === 'error' && reply.code === 'CB_ERR_SERVER_BUSY' && o.retryBusy ? 'retry' : reply;
    } catch (err) {
      if (err instanceof ConnbenchError) throw err;
      if (o.signal?.aborted) throw runError('CB_ERR_INTERRUPTED', 'the run was interrupted');
      const code = codeOfSocketError(err);
      if (TRANSIENT.has(code) && Date.now() < o.deadlineMs) return 'retry';
      throw runError(
        'CB_ERR_CONTROL_UNREACHABLE',
        `${this.baseUrl}${path} could not be reached (${code}) after ${attempt + 1} attempt(s): ${(err as Error).message}`,
        'check --target, and that `connbench serve --control` runs there and listens on an address this host reaches (--host)',
      );
    }
  }

  private late(what: string): ConnbenchError {
    return runError(
      'CB_ERR_CONTROL_TIMEOUT',
      `${this.baseUrl} did not answer "${what}" before its deadline`,
      "see the server's output; a shard may have stopped",
    );
  }
}

function parseReply(text: string, status: number): FromControl {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (typeof v.error === 'string') {
      return { type: 'error', code: v.error, message: String(v.message ?? ''), ...(typeof v.hint === 'string' ? { hint: v.hint } : {}) };
    }
    if (status === 200 && typeof v.type === 'string') return v as unknown as FromControl;
  } catch {
    // Not JSON: answered below.
  }
  return { type: 'error', code: 'CB_ERR_CONTROL_PROTOCOL', message: `answered ${status} with ${JSON.stringify(text.slice(0, 120))}` };
}
