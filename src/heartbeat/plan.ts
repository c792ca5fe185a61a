import { MODEL_IDS, isModelId, type ModelId } from '../models/index.js';
import { IDLE_ACTIONS, type IdleAction } from '../proxy/options.js';
import { formatDurationMs, parseDurationMs } from '../util/units.js';
import { MAX_DURATION_MS, unitProblem } from '../util/unitBounds.js';
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
  const problems = new FlagProblems();
  const models = modelsOf(f.model, problems);
  const preset = presetOf(f.preset, problems);
  const idleTimeoutMs = problems.durationMs('--idle-timeout', f.idleTimeout, preset?.idleTimeoutMs);
  if (idleTimeoutMs === undefined && f.preset === undefined)
    problems.add('say what cuts idle connections: --idle-timeout 60s or --preset nginx');
  const idleAction = idleActionOf(f.idleAction, preset, problems);
  const clients = clientsOf(f.clients, problems);
  const intervals = intervalsOf(f, idleTimeoutMs, problems);
  const timeScale = timeScaleOf(f.timeScale, idleTimeoutMs, problems);
  checkShortestScaledInterval(intervals, timeScale, problems);
  const observeMs = problems.durationMs('--observe', f.observe, idleTimeoutMs === undefined ? undefined : 3 * idleTimeoutMs);
  const detectWithinMs = problems.durationMs('--detect-within', f.detectWithin, DEFAULT_DETECT_WITHIN_MS);
  const tcpKeepAliveMs = problems.durationMs('--tcp-keep-alive', f.tcpKeepAlive, undefined);
  const safetyMargin = safetyMarginOf(f.safetyMargin, problems);
  problems.throwIfAny();
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

/** What is wrong with the flags, gathered so that one error names every problem rather than the first. */
class FlagProblems {
  private readonly problems: string[] = [];
  private readonly hints: string[] = [];

  add(problem: string, hint?: string): void {
    this.problems.push(problem);
    if (hint) this.hints.push(hint);
  }

  /** A duration flag in ms, or fallback when it is absent; a value that is not a duration above 0 and at most 24h is a problem. */
  durationMs(flag: string, v: string | undefined, fallback: number | undefined): number | undefined {
    if (v === undefined) return fallback;
    const problem = unitProblem(flag, v, 'duration', { above: 0, max: MAX_DURATION_MS });
    if (problem) this.add(problem);
    return problem ? undefined : parseDurationMs(v);
  }

  throwIfAny(): void {
    if (this.problems.length === 0) return;
    throw inputError(
      'CB_ERR_BAD_HEARTBEAT_FLAGS',
      this.problems.length === 1 ? this.problems[0]! : `bad heartbeat flags:\n  - ${this.problems.join('\n  - ')}`,
      this.hints.join('; ') ||
        'durations are written like 30s (above 0, at most 24h), the other flags as `connbench heartbeat --help` shows them',
    );
  }
}

/** `a, b,,c` → ['a', 'b', 'c']. */
const listOf = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** --model: every model when absent. */
function modelsOf(flag: string | undefined, problems: FlagProblems): ModelId[] {
  const models: ModelId[] = [];
  for (const m of listOf(flag ?? MODEL_IDS.join(','))) {
    if (isModelId(m)) models.push(m);
    else problems.add(`unknown model "${m}" (valid models: ${MODEL_IDS.join(', ')})`);
  }
  return models;
}

function presetOf(id: string | undefined, problems: FlagProblems): Preset | undefined {
  if (id === undefined) return undefined;
  try {
    return getPreset(id);
  } catch (err) {
    problems.add((err as Error).message, (err as { hint?: string }).hint);
    return undefined;
  }
}

/** --idle-action, else the preset's, else fin. */
function idleActionOf(flag: string | undefined, preset: Preset | undefined, problems: FlagProblems): IdleAction {
  const fallback = preset?.idleAction ?? 'fin';
  if (flag === undefined) return fallback;
  if ((IDLE_ACTIONS as readonly string[]).includes(flag)) return flag as IdleAction;
  problems.add(`--idle-action must be one of ${IDLE_ACTIONS.join(', ')}, got "${flag}"`);
  return fallback;
}

/** A plain decimal (no exponent, sign or empty text), or NaN. */
const decimal = (text: string) => (/^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : NaN);

function clientsOf(flag: string | undefined, problems: FlagProblems): number {
  const clients = flag === undefined ? DEFAULT_CLIENTS : /^\s*\d+\s*$/.test(flag) ? Number(flag) : NaN;
  if (!(clients >= 1 && clients <= MAX_CLIENTS))
    problems.add(
      `--clients "${flag}" is not a whole number from 1 to ${MAX_CLIENTS} (the proxy holds two sockets per connection in one process)`,
    );
  return clients;
}

/**
 * The sweep, shortest interval first, each with its heartbeat timeout (--heartbeat-timeout, else a
 * multiple of the interval): --intervals, else the default sweep for the idle timeout.
 */
function intervalsOf(f: LabFlags, idleTimeoutMs: number | undefined, problems: FlagProblems): LabInterval[] {
  const fixedTimeoutMs = problems.durationMs('--heartbeat-timeout', f.heartbeatTimeout, undefined);
  let intervalsMs: number[] = [];
  if (f.intervals !== undefined) {
    const parts = listOf(f.intervals);
    for (const part of parts) {
      const ms = problems.durationMs('--intervals', part, undefined);
      if (ms !== undefined && ms > 0) intervalsMs.push(ms);
    }
    // Only an empty list needs a problem here: each part that is no duration has its own already.
    if (parts.length === 0) problems.add(`--intervals "${f.intervals}" holds no duration: give one or more, e.g. "10s,20s,30s"`);
  } else if (idleTimeoutMs !== undefined) {
    intervalsMs = defaultIntervalsMs(idleTimeoutMs);
  }
  const intervals: LabInterval[] = [...new Set(intervalsMs)]
    .sort((a, b) => a - b)
    .map((intervalMs) => ({ intervalMs, timeoutMs: fixedTimeoutMs ?? intervalMs * DEFAULT_TIMEOUT_RATIO }));
  for (const i of intervals) {
    if (i.intervalMs >= i.timeoutMs)
      problems.add(
        `the interval ${formatDurationMs(i.intervalMs)} is not shorter than its heartbeat timeout ${formatDurationMs(i.timeoutMs)}: a peer would be declared dead between two heartbeats`,
      );
  }
  return intervals;
}

/** --time-scale: "auto" (the default) makes the idle timeout last AUTO_SCALED_IDLE_MS, never below 1×. */
function timeScaleOf(flag: string | undefined, idleTimeoutMs: number | undefined, problems: FlagProblems): number {
  if (flag === undefined || flag === 'auto') return idleTimeoutMs === undefined ? 1 : Math.max(1, idleTimeoutMs / AUTO_SCALED_IDLE_MS);
  const timeScale = decimal(flag);
  if (!(timeScale >= 1)) problems.add(`--time-scale "${flag}" is not "auto" or a number of at least 1, written in digits`);
  return timeScale;
}

/** The shortest interval, scaled, must stay above MIN_SCALED_INTERVAL_MS; the problem names the largest scale that would do. */
function checkShortestScaledInterval(intervals: readonly LabInterval[], timeScale: number, problems: FlagProblems): void {
  const shortest = intervals[0];
  if (shortest && timeScale >= 1 && shortest.intervalMs / timeScale < MIN_SCALED_INTERVAL_MS) {
    const most = Math.floor(shortest.intervalMs / MIN_SCALED_INTERVAL_MS);
    problems.add(
      `at time scale ${round(timeScale)}× the ${formatDurationMs(shortest.intervalMs)} interval would run as ${round(shortest.intervalMs / timeScale)} ms, below the ${MIN_SCALED_INTERVAL_MS} ms the lab can time; use --time-scale ${Math.max(1, most)} or less`,
    );
  }
}

function safetyMarginOf(flag: string | undefined, problems: FlagProblems): number {
  const safetyMargin = flag === undefined ? DEFAULT_SAFETY_MARGIN : decimal(flag);
  if (!(safetyMargin >= 0 && safetyMargin < 1))
    problems.add(`--safety-margin "${flag}" is not a fraction from 0 to below 1 (0.5 = heartbeat at half the idle timeout)`);
  return safetyMargin;
}

const round = (x: number) => Math.round(x * 10) / 10;
