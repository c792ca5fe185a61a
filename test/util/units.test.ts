import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseRatePerSec, parseSizeBytes, formatBytes, formatMs } from '../../src/util/units.js';
import { didYouMean } from '../../src/util/didYouMean.js';

describe('units', () => {
  it('parses durations', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('10s')).toBe(10_000);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs(250)).toBe(250);
    expect(parseDurationMs('ten')).toBeUndefined();
    expect(parseDurationMs('-1s')).toBeUndefined();
  });
  it('parses rates', () => {
    expect(parseRatePerSec('10/s')).toBe(10);
    expect(parseRatePerSec('120/m')).toBe(2);
    expect(parseRatePerSec(5)).toBe(5);
    expect(parseRatePerSec('ten')).toBeUndefined();
  });
  it('parses sizes', () => {
    expect(parseSizeBytes('128B')).toBe(128);
    expect(parseSizeBytes('4KiB')).toBe(4096);
    expect(parseSizeBytes('1kb')).toBe(1000);
    expect(parseSizeBytes('2 MiB')).toBe(2 * 1024 * 1024);
    expect(parseSizeBytes('4 parsecs')).toBeUndefined();
  });
  it('formats', () => {
    expect(formatBytes(2048)).toBe('2.0 KiB');
    expect(formatMs(0.1234)).toBe('0.123');
    expect(formatMs(123.4)).toBe('123');
  });
  it('suggests a close name', () => {
    expect(didYouMean('websockt', ['sse', 'websocket', 'tcp'])).toBe('websocket');
    expect(didYouMean('zzzzzz', ['sse', 'tcp'])).toBeUndefined();
  });
});
