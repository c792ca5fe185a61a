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
