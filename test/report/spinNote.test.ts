import { beforeAll, describe, expect, it } from 'vitest';
import { initHistograms } from '../../src/metrics/histogram.js';
import { SPIN_NOTE_SHARE, spinNotes } from '../../src/report/spinNote.js';
import { renderRunTable } from '../../src/report/table.js';
import { renderRunMarkdown } from '../../src/report/markdown.js';
import type { ModelResult } from '../../src/report/result.js';
import { syntheticResult, syntheticRow } from './fixtures.js';

beforeAll(() => initHistograms());

function rowWith(model: string, cpuUsPerMessage: number | null, publishSpinCpuUsPerMessage: number | null | undefined): ModelResult {
  const r = syntheticRow({ model, latencyBaseUs: 1000 });
  r.server = { ...r.server, cpuUsPerMessage, publishSpinCpuUsPerMessage };
  return r;
}

describe('spinNotes', () => {
  it('notes a row whose server CPU per message is largely the publisher spin, with the figure without it', () => {
    expect(spinNotes([rowWith('tcp', 40.4, 23.7)])).toEqual([
      "tcp: 23.7 µs of the server's 40.4 µs CPU per message is the publisher spinning to send each message on time (connbench's own wait, not the model's: 16.7 µs without it)",
    ]);
  });

  it("quotes the CPU figure's upper end, as the table does, where its bound is too wide to print it", () => {
    const r = rowWith('tcp', 40.4, 23.7);
    r.server.cpuUsPerMessageBound = 12;
    expect(spinNotes([r])).toEqual([
      "tcp: 23.7 µs of the server's at most 52.4 µs CPU per message is the publisher spinning to send each message on time (connbench's own wait, not the model's: at most 28.7 µs without it)",
    ]);
    r.server.cpuUsPerMessageBound = 10;
    expect(spinNotes([r])[0]).toContain("the server's 40.4 µs CPU");
  });

  it('says nothing below its share, without a spin figure, without CPU, or for a failed row', () => {
    expect(spinNotes([rowWith('tcp', 10, 10 * SPIN_NOTE_SHARE - 0.01)])).toEqual([]);
    expect(spinNotes([rowWith('tcp', 10, 10 * SPIN_NOTE_SHARE)])).toHaveLength(1);
    expect(spinNotes([rowWith('tcp', 10, null), rowWith('sse', 10, undefined), rowWith('ws', null, 5)])).toEqual([]);
    const failed = { ...rowWith('tcp', 10, 9), status: 'failed' as const };
    expect(spinNotes([failed])).toEqual([]);
  });

  it('the wide table and the markdown report carry the note; the narrow table, without the CPU column, does not', () => {
    const result = syntheticResult([rowWith('tcp', 40.4, 23.7)]);
    expect(renderRunTable(result, { wide: true })).toContain('publisher spinning');
    expect(renderRunTable(result)).not.toContain('publisher spinning');
    expect(renderRunMarkdown(result)).toContain('publisher spinning');
  });
});
