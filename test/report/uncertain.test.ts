import { beforeAll, describe, expect, it } from 'vitest';
import { initHistograms } from '../../src/metrics/histogram.js';
import { boundedText, isUncertain, uncertainNote, UNCERTAIN_MARK } from '../../src/report/uncertain.js';
import { renderRunTable } from '../../src/report/table.js';
import { renderRunMarkdown } from '../../src/report/markdown.js';
import { formatBytes } from '../../src/util/units.js';
import { syntheticResult, syntheticRow } from './fixtures.js';

beforeAll(() => initHistograms());

const rss = 'server.rssPerConnectionBytes' as const;

describe('figures with an error bound', () => {
  it('print as they are up to a bound of 25 % of the figure, as their upper end above it, n/a when that is not positive', () => {
    const exact = syntheticRow({ model: 'tcp', latencyBaseUs: 500, rssPerConnectionBytes: 8192, rssPerConnectionBytesBound: 2048 });
    expect(isUncertain(exact, rss)).toBe(false);
    expect(boundedText(exact, rss, formatBytes)).toBe('8.0 KiB');
    const loose = syntheticRow({ model: 'tcp', latencyBaseUs: 500, rssPerConnectionBytes: 1331, rssPerConnectionBytesBound: 2765 });
    expect(isUncertain(loose, rss)).toBe(true);
    expect(boundedText(loose, rss, formatBytes)).toBe(`< 4.0 KiB${UNCERTAIN_MARK}`);
    const negative = syntheticRow({ model: 'tcp', latencyBaseUs: 500, rssPerConnectionBytes: -3000, rssPerConnectionBytesBound: 2000 });
    expect(boundedText(negative, rss, formatBytes)).toBe(`n/a${UNCERTAIN_MARK}`);
    // Below zero by more than four times its bound: still not a figure, and never printed as one.
    const belowItsBound = syntheticRow({ model: 'tcp', latencyBaseUs: 500, rssPerConnectionBytes: -5218, rssPerConnectionBytesBound: 400 });
    expect(isUncertain(belowItsBound, rss)).toBe(true);
    expect(boundedText(belowItsBound, rss, formatBytes)).toBe(`n/a${UNCERTAIN_MARK}`);
    // A result written before bounds existed prints its figures as it always did.
    const old = syntheticRow({ model: 'tcp', latencyBaseUs: 500, rssPerConnectionBytes: 100 });
    expect(boundedText(old, rss, formatBytes)).toBe('100 B');
    expect(uncertainNote([exact, old], [rss])).toBeUndefined();
    expect(uncertainNote([exact, loose], [rss])).toContain('more than 25 %');
  });

  it('the same holds for CPU per message', () => {
    const few = syntheticRow({ model: 'sse', latencyBaseUs: 500, cpuUsPerMessage: 40, cpuUsPerMessageBound: 30 });
    expect(boundedText(few, 'server.cpuUsPerMessage', (v) => v.toFixed(1))).toBe(`< 70.0${UNCERTAIN_MARK}`);
    const many = syntheticRow({ model: 'sse', latencyBaseUs: 500, cpuUsPerMessage: 40, cpuUsPerMessageBound: 1 });
    expect(boundedText(many, 'server.cpuUsPerMessage', (v) => v.toFixed(1))).toBe('40.0');
  });

  it('the wide table and the markdown mark an uncertain figure and explain the mark once', () => {
    const result = syntheticResult([
      syntheticRow({ model: 'websocket', latencyBaseUs: 500, rssPerConnectionBytes: 1331, rssPerConnectionBytesBound: 2765 }),
      syntheticRow({ model: 'tcp', latencyBaseUs: 400, rssPerConnectionBytes: 6000, rssPerConnectionBytesBound: 100 }),
    ]);
    const table = renderRunTable(result, { wide: true });
    expect(table).toContain(`< 4.0${UNCERTAIN_MARK}`);
    expect(table).toContain('5.9');
    expect(table.split(UNCERTAIN_MARK).length - 1).toBe(2); // the cell and its footnote
    expect(renderRunTable(result)).not.toContain(UNCERTAIN_MARK); // the narrow table shows no bounded figure
    const md = renderRunMarkdown(result);
    expect(md).toContain(`&lt; 4.0 KiB${UNCERTAIN_MARK}`); // mdCell escapes the sign for GitHub
    expect(md).toMatch(new RegExp(`<sub>${UNCERTAIN_MARK} the figure's error bound is more than 25 %`));
  });
});
