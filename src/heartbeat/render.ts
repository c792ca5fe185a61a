import Table from 'cli-table3';
import { getModel, isModelId } from '../models/index.js';
import { formatBytes, formatDurationMs, formatInt as int } from '../util/units.js';
import { mdCell, mdTable } from '../report/markdownTable.js';
import type { DetectionStats, HeartbeatIntervalResult, HeartbeatModelResult, HeartbeatResult, Recommendation } from './result.js';
import type { ProbeResult } from './probe.js';

const HEAD = ['interval', 'timeout', 'kept', 'cuts', 'reconnects', 'lost', 'hb B/conn/min', 'client detects', 'server detects'];

const dur = (ms: number) => formatDurationMs(Math.round(ms));
const ACTION_WORDS = {
  fin: 'closes with FIN',
  rst: 'resets',
  silent: 'drops silently',
  'silent-rst': 'drops silently, then resets',
} as const;

/** "p50 / max", "never", or "k/n: p50 / max" when only some were noticed. */
function detection(d: DetectionStats, of: number): string {
  if (d.detected === 0) return of === 0 ? '-' : 'never';
  const times = `${dur(d.p50Ms!)} / ${dur(d.maxMs!)}`;
  return d.detected < of ? `${d.detected}/${of}: ${times}` : times;
}

function cells(r: HeartbeatIntervalResult): string[] {
  return [
    dur(r.intervalMs),
    dur(r.timeoutMs),
    `${int(r.connections.survived)}/${int(r.connections.initial)}`,
    int(r.connections.idleCuts),
    int(r.reconnects),
    int(r.messages.lost),
    r.heartbeatBytesPerConnectionPerMinute.toFixed(0),
    detection(r.detection.client, r.detection.clients),
    detection(r.detection.server, r.detection.clients),
  ];
}

export function headline(r: HeartbeatResult): string {
  const s = r.settings;
  const who = s.preset ? `${s.preset.name} (${s.preset.id})` : 'an intermediary';
  const scale =
    s.timeScale > 1
      ? `, time scale ${+s.timeScale.toFixed(1)}× (every duration ran ${+s.timeScale.toFixed(1)} times shorter; figures are real time)`
      : '';
  const keepAlive = s.tcpKeepAliveMs !== null ? `, TCP keep-alive after ${dur(s.tcpKeepAliveMs)}` : '';
  return `heartbeat lab: ${who} that ${ACTION_WORDS[s.idleAction]} after ${dur(s.idleTimeoutMs)} idle; ${s.clients} clients, quiet for ${dur(s.observeMs)}${keepAlive}${scale}`;
}

function costLine(rec: Recommendation): string {
  return rec.cost
    .map(
      (c) =>
        `${c.connections >= 1e6 ? `${c.connections / 1e6}M` : `${c.connections / 1e3}k`} connections: ${int(c.heartbeatsPerSec)} heartbeats/s, ${formatBytes(c.bytesPerSec)}/s`,
    )
    .join('; ');
}

/** A model whose clients send nothing upstream (SSE): say what its server-side detection rests on, and what it costs. */
function sseEchoLine(r: HeartbeatResult, m: HeartbeatModelResult): string[] {
  if (!isModelId(m.model) || !getModel(m.model).needsHeartbeatEcho) return [];
  return r.settings.sseEcho
    ? [
        '  - sse clients echo every heartbeat with POST /events/alive (its bytes are in hb B/conn/min); --no-sse-echo saves them, and the server then never detects a dead client',
      ]
    : ['  - sse without echo (--no-sse-echo): nothing flows from client to server, so the server cannot detect a dead client'];
}

function recommendationLines(r: HeartbeatResult, m: HeartbeatModelResult): string[] {
  if (m.status === 'failed') return [`${m.model}: failed: ${m.error?.message ?? 'unknown error'}`];
  const rec = m.recommendation;
  if (!rec) return [`${m.model}: no recommendation (interrupted)`];
  return [
    `${m.model}: heartbeat every ${dur(rec.intervalMs)} (timeout ${dur(rec.timeoutMs)})${rec.measured ? '' : ' [computed, not measured]'}`,
    ...rec.reasons.map((reason) => `  - ${reason}`),
    ...sseEchoLine(r, m),
    `  cost: ${costLine(rec)}`,
  ];
}

/** The terminal report: one table per model, then its recommendation. Returns a string. */
export function renderHeartbeatTable(r: HeartbeatResult, opts: { color?: boolean } = {}): string {
  const out = [headline(r)];
  for (const m of r.models) {
    const table = new Table({
      head: HEAD,
      style: { head: opts.color ? ['cyan'] : [], border: opts.color ? ['grey'] : [], compact: true },
      colAligns: HEAD.map(() => 'right' as const),
      chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    });
    for (const iv of m.intervals) table.push(cells(iv));
    out.push('', m.model, table.toString(), ...recommendationLines(r, m));
  }
  if (!r.complete) out.push('', '(interrupted: the figures above are what finished)');
  return `${out.join('\n')}\n`;
}

/** The same report as GitHub markdown. Returns a string. */
export function renderHeartbeatMarkdown(r: HeartbeatResult): string {
  const out = [`# Heartbeat lab`, '', mdCell(headline(r))];
  if (r.settings.preset)
    out.push('', `Preset \`${r.settings.preset.id}\`: ${mdCell(r.settings.preset.setting)} ([source](${r.settings.preset.source})).`);
  for (const m of r.models) {
    out.push('', `## ${m.model}`, '');
    out.push(
      mdTable(
        HEAD,
        m.intervals.map((iv) => cells(iv).map(mdCell)),
        HEAD.map(() => 'r'),
      ),
    );
    const [first, ...rest] = recommendationLines(r, m);
    // The terminal's indented reasons and cost line become one bullet list.
    out.push('', `**${mdCell(first!)}**`, '', ...rest.map((l) => `- ${mdCell(l.trimStart().replace(/^- /, ''))}`));
  }
  return `${out.join('\n')}\n`;
}

function seconds(ms: number, resolutionMs: number): string {
  const digits = resolutionMs >= 1000 ? 0 : resolutionMs >= 100 ? 1 : 2;
  return `${(ms / 1000).toFixed(digits)}s`;
}

const CUT_WORDS = {
  fin: 'closed (FIN)',
  rst: 'reset (RST)',
  status: 'answered with an error status',
  silence: 'dropped silently (nothing came back)',
  error: 'failed',
} as const;

/** The probe's answer; its first line is the contract: `idle timeout: <N>s`. Returns a string. */
export function renderProbe(r: ProbeResult): string {
  if (r.idleTimeoutMs === null)
    return `idle timeout: more than ${seconds(r.maxMs, r.resolutionMs)} (nothing was cut up to --max)\n  via ${r.via}\n`;
  const how = r.cutBy ? `${CUT_WORDS[r.cutBy]}${r.status ? ` ${r.status}` : ''}` : 'cut';
  return [
    `idle timeout: ${seconds(r.idleTimeoutMs, r.resolutionMs)} (resolution ${dur(r.resolutionMs)})`,
    `  via ${r.via}`,
    `  ${dur(r.survivedMs)} of silence survived; ${dur(r.idleTimeoutMs)} did not: the path ${how}`,
    `  probes: ${r.attempts.map((a) => `${dur(a.silenceMs)} ${a.survived ? 'ok' : a.cutAfterMs !== undefined ? `cut at ${dur(a.cutAfterMs)}` : 'cut'}`).join(', ')}`,
    `  next: connbench heartbeat --idle-timeout ${seconds(r.idleTimeoutMs, r.resolutionMs)}${r.cutBy === 'silence' ? ' --idle-action silent' : r.cutBy === 'rst' ? ' --idle-action rst' : ''}`,
    '',
  ].join('\n');
}
