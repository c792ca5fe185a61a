/**
 * `npm run bench`: builds, then runs every bench figure once and writes results/bench-<date>.json.
 * Progress goes to stderr, the summary table to stdout. Not part of `npm test` (minutes, and speed
 * figures are not pass/fail there); test/bench/ runs each step with tiny sizes.
 */
import { defaultResultPath, writeJson } from '../dist/report/write.js';
import { killAllChildren } from '../dist/runner/child.js';
import { runBench } from './bench.js';
import { renderFigures, renderMisses } from './render.js';
import { FULL } from './sizes.js';

const COMMAND = 'npm run bench';

async function main(): Promise<number> {
  const startedAt = new Date();
  const file = defaultResultPath('bench', startedAt);
  const t0 = Date.now();
  process.stderr.write(`bench: writing ${file}\n`);
  const result = await runBench(FULL, {
    command: COMMAND,
    onStep: (r, step) => {
      writeJson(file, r);
      process.stderr.write(`bench: ${step} done after ${Math.round((Date.now() - t0) / 1000)} s\n`);
    },
  });
  writeJson(file, result);
  process.stdout.write(
    `${renderFigures(result.figures)}\n\n${renderMisses(result.figures)}\n\n${file} (${Math.round((Date.now() - t0) / 1000)} s)\n`,
  );
  for (const f of result.failures) process.stderr.write(`bench: ${f.step} failed: ${f.message}\n`);
  return result.failures.length > 0 ? 3 : 0;
}

const stop = (code: number) => () => {
  killAllChildren();
  process.exit(code);
};
process.on('SIGINT', stop(130));
process.on('SIGTERM', stop(143));
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
    killAllChildren();
    process.exit(3);
  },
);
