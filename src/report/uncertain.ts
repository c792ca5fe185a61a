import type { ModelResult } from './result.js';
import { NOT_MEASURED } from '../util/units.js';

/**
 * Figures that carry an error bound (src/metrics/bounds.ts): memory per connection and CPU per
 * message. Where the bound passes UNCERTAIN_ABOVE of the figure, the figure says little (memory at
 * a few hundred connections, CPU at a few hundred messages), so reports print its upper end
 * (`< 4.0 KiB`) or, when even that is not positive, `n/a`, marked with UNCERTAIN_MARK and
 * explained by uncertainNote(). Pure.
 */
export const UNCERTAIN_ABOVE = 0.25;
export const UNCERTAIN_MARK = '†';

export type BoundedPath = 'server.rssPerConnectionBytes' | 'server.cpuUsPerMessage' | 'client.rssPerClientBytes' | 'client.cpuUsPerMessage';

function figureAndBound(r: ModelResult, path: BoundedPath): { value: number | null; bound: number | null | undefined } {
  switch (path) {
    case 'server.rssPerConnectionBytes':
      return { value: r.server.rssPerConnectionBytes, bound: r.server.rssPerConnectionBytesBound };
    case 'server.cpuUsPerMessage':
      return { value: r.server.cpuUsPerMessage, bound: r.server.cpuUsPerMessageBound };
    case 'client.rssPerClientBytes':
      return { value: r.client.rssPerClientBytes, bound: r.client.rssPerClientBytesBound };
    case 'client.cpuUsPerMessage':
      return { value: r.client.cpuUsPerMessage, bound: r.client.cpuUsPerMessageBound };
  }
}

/**
 * Whether a row's figure is too uncertain to print as it is; a result without bounds (schemaVersion 1),
 * or a figure not measured, never is. A negative one always is: no connection frees memory and no
 * message gives CPU back, so the noise the bound does not cover (the allocator returning pages
 * between the two samples) was larger than what it measured.
 */
export function isUncertain(r: ModelResult, path: BoundedPath): boolean {
  const { value, bound } = figureAndBound(r, path);
  if (value === null || bound === undefined || bound === null) return false;
  return value < 0 || bound > UNCERTAIN_ABOVE * Math.abs(value);
}

/**
 * The text of a bounded figure: `format(value)` when its bound is within UNCERTAIN_ABOVE of it, else
 * `< format(value + bound)†`, or `n/a†` when that upper end is not above zero.
 */
export function boundedText(r: ModelResult, path: BoundedPath, format: (v: number) => string): string {
  const { value, bound } = figureAndBound(r, path);
  if (value === null) return NOT_MEASURED;
  if (!isUncertain(r, path)) return format(value);
  const upper = value + bound!;
  return upper > 0 ? `< ${format(upper)}${UNCERTAIN_MARK}` : `n/a${UNCERTAIN_MARK}`;
}

/** The footnote for the mark, when any of the printed figures of these rows carries it. */
export function uncertainNote(rows: ModelResult[], paths: readonly BoundedPath[]): string | undefined {
  if (!rows.some((r) => r.status !== 'failed' && paths.some((p) => isUncertain(r, p)))) return undefined;
  return (
    `${UNCERTAIN_MARK} the figure's error bound is more than ${UNCERTAIN_ABOVE * 100} % of it, so only its upper end is shown (n/a: ` +
    'not even that is above zero): memory per connection is a difference of process samples (pages, GC, young generation) over few ' +
    'connections, CPU per message may be background work spread over few messages; the JSON has each figure and its *Bound'
  );
}
