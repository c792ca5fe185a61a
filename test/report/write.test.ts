import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkOneScenarioPerFile, resultPathOf } from '../../src/report/write.js';
import { ConnbenchError } from '../../src/util/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'connbench-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkOneScenarioPerFile: one file per scenario', () => {
  it('lets one scenario write any file, and several write into a directory, each its own name', () => {
    expect(() => checkOneScenarioPerFile('--out', path.join(dir, 'r.json'), 1, true)).not.toThrow();
    expect(() => checkOneScenarioPerFile('--out', 'not-yet/', 3, true)).not.toThrow();
    mkdirSync(path.join(dir, 'existing'));
    expect(() => checkOneScenarioPerFile('--out', path.join(dir, 'existing'), 2, true)).not.toThrow();
    const at = new Date('2026-12-04T22:00:00Z');
    expect(resultPathOf('not-yet/', 'a', at)).not.toBe(resultPathOf('not-yet/', 'b', at));
  });

  it('refuses several scenarios and one file, with a hint that fits the flag', () => {
    const refusal = (flag: string, given: string, directoryAllowed: boolean) => {
      try {
        checkOneScenarioPerFile(flag, given, 2, directoryAllowed);
      } catch (e) {
        return e as ConnbenchError;
      }
      throw new Error('not refused');
    };
    const out = refusal('--out', path.join(dir, 'r.json'), true);
    expect(out.code).toBe('CB_ERR_BAD_OUT');
    expect(out.hint).toContain('--out results/');
    // --html takes a file only: a directory is no way out for it.
    const html = refusal('--html', path.join(dir, 'existing'), false);
    expect(html.hint).toContain('one at a time');
    expect(html.hint).not.toContain('directory');
  });
});
