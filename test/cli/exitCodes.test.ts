import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeOf, formatError } from '../../src/cli/exitCodes.js';
import { inputError } from '../../src/util/errors.js';

describe('formatError', () => {
  it('a user’s error: one line, the hint, the code, and no stack', () => {
    const text = formatError(
      inputError('CB_ERR_BAD_FLAG', '--clients "-1" is not a whole number from 1 to 1,000,000', 'write it like --clients 1000'),
    );
    expect(text).toBe(
      'connbench: --clients "-1" is not a whole number from 1 to 1,000,000\n  hint: write it like --clients 1000\n  (CB_ERR_BAD_FLAG)\n',
    );
  });

  it('anything else is a bug: its stack, and a request to report it, exit 3', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'pattern')");
    const text = formatError(bug);
    expect(text).toMatch(/^connbench: unexpected error: TypeError: Cannot read properties of undefined \(reading 'pattern'\)\n\s+at /);
    expect(text).toMatch(/\n {2}this is a bug in connbench \S+: please report it with the command you ran and this output\n$/);
    expect(exitCodeOf(bug)).toBe(EXIT.run);
  });
});
