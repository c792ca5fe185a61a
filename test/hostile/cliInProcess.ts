import { expect } from 'vitest';
import { runCli } from '../../src/cli/program.js';

/**
 * A command line run in this process through the CLI's own entry (src/cli/program.ts): the exit
 * code, stdout and stderr as a user sees them, in milliseconds instead of a process start each.
 * Every case here is bad input, refused before anything starts; one that is not refused within
 * `timeoutMs` has started running, and the test fails naming it.
 */
export interface CliOutcome {
  code: number | 'still running';
  stdout: string;
  stderr: string;
}

export async function cli(args: string[], timeoutMs = 3000): Promise<CliOutcome> {
  const out: string[] = [];
  const err: string[] = [];
  const writes = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((c: string | Uint8Array) => out.push(String(c)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => err.push(String(c)) > 0) as typeof process.stderr.write;
  process.exitCode = undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      runCli(['node', 'connbench', ...args]),
      new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), timeoutMs))),
    ]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    clearTimeout(timer);
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    process.exitCode = undefined;
  }
}

/**
 * What every refusal of bad input looks like: exit 2, `connbench: <one line>` naming what it is
 * about and the value given, a `hint:` line, the code, and no stack trace.
 */
export function expectRefused(r: CliOutcome, names: string, given?: string, code?: string): void {
  const what = `${names} ${given === undefined ? '' : JSON.stringify(given)}`;
  expect(r.code, `${what}: ${r.stderr}`).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0], what).toMatch(/^connbench: \S/);
  expect(r.stderr, what).toContain(names);
  if (given !== undefined) expect(r.stderr, what).toContain(`"${given}"`);
  expect(r.stderr, what).toMatch(/\n {2}hint: \S/);
  expect(r.stderr, what).toMatch(/\n {2}\(CB_ERR_[A-Z_]+\)\n$/);
  if (code) expect(r.stderr, what).toContain(`(${code})`);
  expect(r.stderr, what).not.toMatch(/unexpected error|\n\s+at /);
}
