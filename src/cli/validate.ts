import type { Command } from 'commander';
import { loadScenario } from '../scenario/load.js';
import { ConnbenchError } from '../util/errors.js';
import { formatError } from './exitCodes.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check scenario files without running them (all errors at once)')
    .argument('<files...>', 'scenario files or bundled names')
    .action((files: string[]) => {
      let bad = 0;
      for (const f of files) {
        try {
          const points = loadScenario(f);
          process.stdout.write(`${f}: ok (${points.length} point${points.length === 1 ? '' : 's'} × ${points[0]!.models.length} models)\n`);
        } catch (err) {
          if (!(err instanceof ConnbenchError)) throw err;
          bad++;
          process.stderr.write(formatError(err));
        }
      }
      if (bad > 0) process.exitCode = 2;
    });
}
