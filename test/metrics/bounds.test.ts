import { describe, expect, it } from 'vitest';
import { PAGE_BYTES, cpuPerMessageBound, rssPerConnectionBound } from '../../src/metrics/bounds.js';
import type { ResourceSample } from '../../src/metrics/process.js';

const sample = (rssBytes: number, youngGenerationBytes = 1 << 20, codeBytes = 256 << 10): ResourceSample => ({
  pid: 1,
  rssBytes,
  heapUsedBytes: 0,
  cpuUserUs: 0,
  cpuSystemUs: 0,
  atUs: 0,
  openSockets: 0,
  youngGenerationBytes,
  codeBytes,
});

describe('error bounds', () => {
  it('memory per connection: two pages, the spread of repeated samples at each point and the young generation change, over the connections', () => {
    const base = [[sample(100_000), sample(96_000), sample(98_000)]];
    const connected = [[sample(5_000_000, 3 << 20), sample(5_008_192, 3 << 20), sample(5_004_096, 3 << 20)]];
    expect(rssPerConnectionBound(base, connected, 1000)).toBe(Math.round((2 * PAGE_BYTES + 4000 + 8192 + (2 << 20)) / 1000));
    // Several processes add up.
    expect(rssPerConnectionBound([base[0]!, base[0]!], [connected[0]!, connected[0]!], 1000)).toBe(
      Math.round((2 * (2 * PAGE_BYTES + 4000 + 8192 + (2 << 20))) / 1000),
    );
    // The same sampling error weighs 25 times less over 25 times the connections.
    const few = rssPerConnectionBound(base, connected, 200);
    const many = rssPerConnectionBound(base, connected, 5000);
    expect(few / many).toBeCloseTo(25, 0);
    expect(rssPerConnectionBound(base, connected, 0)).toBe(0);
  });

  it('memory per connection: compiled code that grew or shrank between the two points counts as not per connection', () => {
    const base = [[sample(100_000, 1 << 20, 256 << 10)]];
    const grew = [[sample(5_000_000, 1 << 20, 384 << 10)]];
    expect(rssPerConnectionBound(base, grew, 1)).toBe(2 * PAGE_BYTES + (128 << 10));
    const shrank = [[sample(5_000_000, 1 << 20, 192 << 10)]];
    expect(rssPerConnectionBound(base, shrank, 1)).toBe(2 * PAGE_BYTES + (64 << 10));
    // A sample from a process that does not report it (an older server on another host) adds nothing.
    const unreported = [[{ ...sample(5_000_000), codeBytes: undefined }]];
    expect(rssPerConnectionBound([[{ ...sample(100_000), codeBytes: undefined }]], unreported, 1)).toBe(2 * PAGE_BYTES);
  });

  it('CPU per message: the idle CPU rate over the window, per delivery', () => {
    // 2 ms of CPU in a 1 s idle settle; a 5 s window with 500 deliveries: 10 ms / 500.
    expect(cpuPerMessageBound(2000, 1_000_000, 5_000_000, 500)).toBe(20);
    expect(cpuPerMessageBound(2000, 1_000_000, 5_000_000, 500_000)).toBe(0.02);
    expect(cpuPerMessageBound(2000, 1_000_000, 5_000_000, 0)).toBe(0);
    expect(cpuPerMessageBound(-5, 1_000_000, 5_000_000, 10)).toBe(0);
  });
});
