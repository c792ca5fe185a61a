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
 * Every missed goal with the figures of its own measurement that explain it (the figure's
 * `details`: CPU per delivery on each side, the publisher's lateness, counts), one line each, so a
 * miss is never only a ratio. docs/benchmarks.md holds the profiles behind them.
 */
export function renderMisses(figures: Figure[]): string {
  const missed = figures.filter((f) => !f.met);
  if (missed.length === 0) return 'every goal met';
  return missed
    .map((f) => {
      const why = Object.entries(f.details)
        .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`)
        .join(', ');
      return `missed: ${f.title} (${f.ratio}, goal ${f.goal.op} ${f.goal.ratio}): ${why}`;
    })
    .join('\n');
}
