import { inputError } from '../util/errors.js';

/**
 * How an intermediary ends a connection that was idle too long:
 * - `fin`: closes both sides (nginx, ALB, Heroku, Cloudflare, Envoy);
 * - `rst`: resets both sides (Azure LB with "TCP reset on idle");
 * - `silent`: forgets the flow and forwards nothing more, telling nobody (Azure LB's default), so
 *   both ends hold a half-open connection until their own liveness check notices;
 * - `silent-rst`: forgets the flow silently, and answers the next payload from either side with a
 *   reset (AWS NLB, NAT gateway).
 */
export const IDLE_ACTIONS = ['fin', 'rst', 'silent', 'silent-rst'] as const;
export type IdleAction = (typeof IDLE_ACTIONS)[number];

/** The faults a proxy injects; every duration in milliseconds, 0 = off. */
export interface ProxyFaults {
  /** A connection with no payload bytes either way for this long is ended by `idleAction`. */
  idleTimeoutMs: number;
  idleAction: IdleAction;
  /** Added to every chunk in each direction; order within a direction is kept. */
  latencyMs: number;
  /** Up to this much more, uniformly at random, per chunk. */
  jitterMs: number;
  /** This fraction of new connections (every k-th, exactly) is reset `resetAfterMs` after it opens. */
  resetFraction: number;
  resetAfterMs: number;
  /** At this time after the proxy starts, `halfOpenFraction` of the open connections go half-open; 0 = never. */
  halfOpenAtMs: number;
  halfOpenFraction: number;
}

export const NO_FAULTS: ProxyFaults = {
  idleTimeoutMs: 0,
  idleAction: 'fin',
  latencyMs: 0,
  jitterMs: 0,
  resetFraction: 0,
  resetAfterMs: 0,
  halfOpenAtMs: 0,
  halfOpenFraction: 1,
};

/** Every problem with a set of faults, as sentences (empty = valid). Pure. */
export function faultProblems(f: ProxyFaults): string[] {
  const problems: string[] = [];
  const durations: (keyof ProxyFaults)[] = ['idleTimeoutMs', 'latencyMs', 'jitterMs', 'resetAfterMs', 'halfOpenAtMs'];
  for (const k of durations) {
    const v = f[k] as number;
    if (!Number.isFinite(v) || v < 0) problems.push(`${k} must be a non-negative duration, got ${v}`);
  }
  for (const k of ['resetFraction', 'halfOpenFraction'] as const) {
    if (!(f[k] >= 0 && f[k] <= 1)) problems.push(`${k} must be a fraction between 0 and 1, got ${f[k]}`);
  }
  if (!IDLE_ACTIONS.includes(f.idleAction)) problems.push(`idle action must be one of ${IDLE_ACTIONS.join(', ')}, got "${f.idleAction}"`);
  return problems;
}

export interface Forward {
  listenPort: number;
  targetHost: string;
  targetPort: number;
}

/** `9080:127.0.0.1:8080` (or `9080:8080`, target on 127.0.0.1) → a forward. Pure. */
export function parseForward(spec: string): Forward {
  const parts = spec.split(':');
  const port = (s: string | undefined) => (s !== undefined && /^\d{1,5}$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined);
  const listenPort = port(parts[0]);
  const targetPort = port(parts[parts.length - 1]);
  const targetHost = parts.length === 3 ? parts[1]! : parts.length === 2 ? '127.0.0.1' : undefined;
  if (listenPort === undefined || targetPort === undefined || !targetHost || targetPort === 0)
    throw inputError(
      'CB_ERR_BAD_FORWARD',
      `--forward expects LISTEN_PORT:TARGET_HOST:TARGET_PORT (or LISTEN_PORT:TARGET_PORT), got "${spec}"`,
      'for example --forward 9080:127.0.0.1:8080',
    );
  return { listenPort, targetHost, targetPort };
}
