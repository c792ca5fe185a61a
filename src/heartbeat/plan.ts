import { MODEL_IDS, isModelId, type ModelId } from '../models/index.js';
import { IDLE_ACTIONS, type IdleAction } from '../proxy/options.js';
import { formatDurationMs, parseDurationMs } from '../util/units.js';
import { inputError } from '../util/errors.js';
import { getPreset, type Preset } from './presets.js';

/** What the user asked for, as the CLI received it (strings, unparsed). */
export interface LabFlags {
  model?: string;
  idleTimeout?: string;
  preset?: string;
  idleAction?: string;
  intervals?: string;
  heartbeatTimeout?: string;
  clients?: string;
  timeScale?: string;
  observe?: string;
  safetyMargin?: string;
  detectWithin?: string;
  tcpKeepAlive?: string;
  /** false (`--no-sse-echo`): SSE clients do not echo heartbeats, so the SSE server cannot detect a dead client. */
  sseEcho?: boolean;
}

export interface LabInterval {
  /** Real time: the heartbeat interval (ws/tcp ping, SSE comment, long-poll hold, short-poll interval). */
  intervalMs: number;
  /** Real time: silence after which a peer is declared dead. */
  timeoutMs: number;
}

/** A resolved, valid sweep. Every duration is real time; the lab divides by timeScale when it runs. */
export interface LabPlan {
  models: ModelId[];
  clients: number;
  idleTimeoutMs: number;
  idleAction: IdleAction;
  preset: Preset | undefined;
  intervals: LabInterval[];
  timeScale: number;
  /** The quiet window in which survival and heartbeat bytes are measured. */
  observeMs: number;
  safetyMargin: number;
  detectWithinMs: number;
  tcpKeepAliveMs: number | undefined;
  /** SSE clients echo each heartbeat (ServerSettings.sseEcho), the only way an SSE server hears from them. */
  sseEcho: boolean;
}

/** The shortest scaled interval the lab runs: below it, timer and event-loop noise swamp the heartbeat. */
export const MIN_SCALED_INTERVAL_MS = 20;
/** The scaled idle timeout `--time-scale auto` aims for. */
const AUTO_SCALED_IDLE_MS = 1000;
/** Default sweep, as fractions of the idle timeout: four that should survive and one that cannot. */
const DEFAULT_INTERVAL_FRACTIONS = [1 / 6, 1 / 4, 1 / 2, 3 / 4, 5 / 4];
const DEFAULT_CLIENTS = 50;
/** The fault proxy runs in the lab's process, two sockets per connection, under its 20000 open files. */
const MAX_CLIENTS = 8000;
const DEFAULT_SAFETY_MARGIN = 0.5;
const DEFAULT_DETECT_WITHIN_MS = 120_000;
/** Default heartbeat timeout as a multiple of the interval (as `connbench serve` does). */
export const DEFAULT_TIMEOUT_RATIO = 2;

/** Rounds to what a person would write: whole seconds from 10 s, tens of ms from 100 ms. Pure. */
export function niceMs(ms: number): number {
  if (ms >= 10_000) return Math.round(ms / 1000) * 1000;
  if (ms >= 100) return Math.round(ms / 10) * 10;
  return Math.max(1, Math.round(ms));
}

/** niceMs rounded down, for a limit that must not be passed: whole seconds from 10 s, tens of ms from 100 ms. Pure. */
export function niceFloorMs(ms: number): number {
  if (ms >= 10_000) return Math.floor(ms / 1000) * 1000;
  if (ms >= 100) return Math.floor(ms / 10) * 10;
  return Math.max(1, Math.floor(ms));
}

/** The default sweep for an idle timeout. Pure. */
export function defaultIntervalsMs(idleTimeoutMs: number): number[] {
  return [...new Set(DEFAULT_INTERVAL_FRACTIONS.map((f) => niceMs(idleTimeoutMs * f)))];
}

/**
 * Flags → plan, or one input error listing every problem (unknown preset with the list, an interval
 * not shorter than its timeout, a time scale that leaves too little time, …). Pure.
 */
export function planLab(f: LabFlags): LabPlan {
  const problems: string[] = [];
  const hints: string[] = [];
  const duration = (flag: string, v: string | undefined, fallback: number | undefined): number | undefined => {
    if (v === undefined) return fallback;
    const ms = parseDurationMs(v);
    if (ms === undefined || ms <= 0) problems.push(`${flag}: expected a duration like "30s", got "${v}"`);
    return ms;
  };

  const models: ModelId[] = [];
  for (const m of (f.model ?? MODEL_IDS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (isModelId(m)) models.push(m);
    else problems.push(`unknown model "${m}" (valid models: ${MODEL_IDS.join(', ')})`);
  }

  let preset: Preset | undefined;
  if (f.preset !== undefined) {
    try {
      preset = getPreset(f.preset);
    } catch (err) {
      problems.push((err as Error).message);
      hints.push((err as { hint?: string }).hint ?? '');
    }
  }
  const idleTimeoutMs = duration('--idle-timeout', f.idleTimeout, preset?.idleTimeoutMs);
  if (idleTimeoutMs === undefined && f.preset === undefined)
    problems.push('say what cuts idle connections: --idle-timeout 60s or --preset nginx');

  let idleAction: IdleAction = preset?.idleAction ?? 'fin';
  if (f.idleAction !== undefined) {
    if ((IDLE_ACTIONS as readonly string[]).includes(f.idleAction)) idleAction = f.idleAction as IdleAction;
    else problems.push(`--idle-action must be one of ${IDLE_ACTIONS.join(', ')}, got "${f.idleAction}"`);
  }

  const clients = f.clients === undefined ? DEFAULT_CLIENTS : Number(f.clients);
  if (!Number.isInteger(clients) || clients < 1 || clients > MAX_CLIENTS)
    problems.push(
      `--clients must be an integer from 1 to ${MAX_CLIENTS} (the proxy holds two sockets per connection in one process), got "${f.clients}"`,
    );

  const fixedTimeoutMs = duration('--heartbeat-timeout', f.heartbeatTimeout, undefined);
  let intervalsMs: number[] = [];
  if (f.intervals !== undefined) {
    for (const part of f.intervals
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const ms = duration('--intervals', part, undefined);
      if (ms !== undefined && ms > 0) intervalsMs.push(ms);
    }
    if (intervalsMs.length === 0 && !problems.some((p) => p.startsWith('--intervals')))
      problems.push('--intervals: give at least one duration, e.g. "10s,20s,30s"');
  } else if (idleTimeoutMs !== undefined) {
    intervalsMs = defaultIntervalsMs(idleTimeoutMs);
  }
  intervalsMs = [...new Set(intervalsMs)].sort((a, b) => a - b);
  const intervals: LabInterval[] = intervalsMs.map((intervalMs) => ({
    intervalMs,
    timeoutMs: fixedTimeoutMs ?? intervalMs * DEFAULT_TIMEOUT_RATIO,
  }));
  for (const i of intervals) {
    if (i.intervalMs >= i.timeoutMs)
      problems.push(
        `the interval ${formatDurationMs(i.intervalMs)} is not shorter than its heartbeat timeout ${formatDurationMs(i.timeoutMs)}: a peer would be declared dead between two heartbeats`,
      );
  }

  let timeScale = 1;
  if (f.timeScale === undefined || f.timeScale === 'auto') {
    timeScale = idleTimeoutMs === undefined ? 1 : Math.max(1, idleTimeoutMs / AUTO_SCALED_IDLE_MS);
  } else {
    timeScale = Number(f.timeScale);
    if (!Number.isFinite(timeScale) || timeScale < 1) problems.push(`--time-scale must be "auto" or a number ≥ 1, got "${f.timeScale}"`);
  }
  const shortest = intervals[0];
  if (shortest && timeScale >= 1 && shortest.intervalMs / timeScale < MIN_SCALED_INTERVAL_MS) {
    const most = Math.floor(shortest.intervalMs / MIN_SCALED_INTERVAL_MS);
    problems.push(
      `at time scale ${round(timeScale)}× the ${formatDurationMs(shortest.intervalMs)} interval would run as ${round(shortest.intervalMs / timeScale)} ms, below the ${MIN_SCALED_INTERVAL_MS} ms the lab can time; use --time-scale ${Math.max(1, most)} or less`,
    );
  }

  const observeMs = duration('--observe', f.observe, idleTimeoutMs === undefined ? undefined : 3 * idleTimeoutMs);
  const detectWithinMs = duration('--detect-within', f.detectWithin, DEFAULT_DETECT_WITHIN_MS);
  const tcpKeepAliveMs = duration('--tcp-keep-alive', f.tcpKeepAlive, undefined);
  const safetyMargin = f.safetyMargin === undefined ? DEFAULT_SAFETY_MARGIN : Number(f.safetyMargin);
  if (!(safetyMargin >= 0 && safetyMargin < 1))
    problems.push(
      `--safety-margin must be a fraction from 0 to below 1 (0.5 = heartbeat at half the idle timeout), got "${f.safetyMargin}"`,
    );

  if (problems.length > 0) {
    const hint = hints.filter(Boolean).join('; ') || undefined;
    throw inputError(
      'CB_ERR_BAD_HEARTBEAT_FLAGS',
      problems.length === 1 ? problems[0]! : `bad heartbeat flags:\n  - ${problems.join('\n  - ')}`,
      hint,
    );
  }
  return {
    models,
    clients,
    idleTimeoutMs: idleTimeoutMs!,
    idleAction,
    preset,
    intervals,
    timeScale,
    observeMs: observeMs!,
    safetyMargin,
    detectWithinMs: detectWithinMs!,
    tcpKeepAliveMs,
    sseEcho: f.sseEcho ?? true,
  };
}

const round = (x: number) => Math.round(x * 10) / 10;
