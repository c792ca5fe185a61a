import type { Figure } from './figure.js';
import { crossedNever } from './figure.js';
import { formatBytes, formatMs } from '../dist/util/units.js';

/** The bench figures as a Markdown table (docs/benchmarks.md carries one). Returns a string. */
export function renderFigures(figures: Figure[]): string {
  const rows = figures.map((f) => {
    const goal = `${f.goal.op} ${f.goal.ratio}${f.goal.never !== undefined ? ` (never ${f.goal.op === '>=' ? 'below' : 'above'} ${f.goal.never})` : ''}`;
    const verdict = f.met ? 'met' : `missed by ${f.missBy}${crossedNever(f) ? ', past the never line' : ''}`;
    return `| ${f.title} | ${value(f.measured, f.unit)} | ${value(f.floor, f.unit)} (${f.floorName}) | ${f.ratio} | ${goal} | ${verdict} |`;
  });
  return ['| figure | connbench | floor or peer | ratio | goal | verdict |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

function value(x: number, unit: Figure['unit']): string {
  switch (unit) {
    case 'bytes/connection':
      return `${formatBytes(x)}/conn`;
    case 'ms':
      return `${formatMs(x)} ms`;
    case 'µs':
      return Number.isFinite(x) ? `${Math.round(x).toLocaleString('en-US')} µs` : 'not measured';
    case 'CPU µs':
      return `${Math.round(x).toLocaleString('en-US')} µs CPU`;
    default:
      return `${Math.round(x).toLocaleString('en-US')} ${unit}`;
  }
}

/**
 * Every missed goal, never only a ratio: what this run's own figures say about it (`explain.why`),
 * the figures of its measurement (`details`: CPU per delivery on each side, the publisher's
 * lateness, counts), and where to look closer (a command that profiles it, the section of
 * docs/benchmarks.md that reads its misses).
 */
export function renderMisses(figures: Figure[]): string {
  const missed = figures.filter((f) => !f.met);
  if (missed.length === 0) return 'every goal met';
  return missed.map(renderMiss).join('\n');
}

function renderMiss(f: Figure): string {
  const lines = [`missed: ${f.title} (${f.ratio}, goal ${f.goal.op} ${f.goal.ratio})${f.explain?.why ? `: ${f.explain.why}` : ''}`];
  const details = Object.entries(f.details)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`)
    .join(', ');
  if (details) lines.push(`  figures: ${details}`);
  const e = f.explain;
  if (e) lines.push(`  look closer: ${e.profile ? `${e.profile}; ` : ''}docs/benchmarks.md, "${e.docs}"`);
  return lines.join('\n');
}
