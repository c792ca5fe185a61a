import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The built CLI as a user runs it (bin/ → dist/): `npm run build` before the tests that use it. */
export const BIN = path.resolve('bin/connbench.js');

/** `connbench <args>` to its end, killed after timeoutMs; stdout and stderr as text. */
export const runCli = (args: string[], timeoutMs = 30_000) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
