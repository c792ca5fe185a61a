import os from 'node:os';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { inputOf } from '../scenario/inputOf.js';
import { loadScenario } from '../scenario/load.js';
import { estimateWallMs } from '../scenario/estimate.js';
import { loadWarnings } from '../scenario/warnings.js';
import { modelRuns } from '../scenario/matrix.js';
import type { Scenario } from '../scenario/schema.js';
import { planRun, type Limits } from '../runner/plan.js';
import { machineLimits } from '../runner/machine.js';
import { proxyBinaries } from '../runner/network.js';
import { ConnbenchError } from '../util/errors.js';
import { EXIT, exitCodeOf, formatError } from './exitCodes.js';

/**
 * Loads a scenario and checks every matrix point against this machine's limits, as `run` would
 * before starting anything; returns the line to print, or throws the first problem. `warn` hears
 * what `run` would warn of (src/scenario/warnings.ts).
 */
export function checkScenario(
  nameOrPath: string,
  limits: Limits,
  opts: { resolved?: boolean; warn?: (message: string) => void } = {},
): string {
  const points: Scenario[] = loadScenario(nameOrPath);
  for (const p of points) for (const w of loadWarnings(p, os.cpus().length)) opts.warn?.(w);
  for (const p of points) {
    try {
      planRun(p, limits);
    } catch (err) {
      if (err instanceof ConnbenchError && Object.keys(p.matrix).length > 0) {
        const at = Object.entries(p.matrix)
          .map(([k, v]) => `${k} = ${v}`)
          .join(', ');
        throw new ConnbenchError(err.code, `${nameOrPath} (matrix point ${at}): ${err.message}`, {
          kind: err.kind,
          ...(err.hint ? { hint: err.hint } : {}),
        });
      }
      throw err;
    }
  }
  // An intermediary the scenario needs must be installed here.
  proxyBinaries(points);
  const n = points.length;
  const models = points[0]!.models.length;
  const runs = modelRuns(points).length;
  // Fewer runs than points × models: a model is not run again for another model's axis.
  const shape = `${n} point${n === 1 ? '' : 's'} × ${models} model${models === 1 ? '' : 's'}${runs < n * models ? `, ${runs} runs` : ''}`;
  const line = `${nameOrPath}: ok (${shape}, about ${aboutTime(estimateWallMs(points))} to run)`;
  if (!opts.resolved) return line;
  // Every point as a complete file: what the run will use, defaults included.
  const docs = points.map((p) => {
    const at = Object.entries(p.matrix)
      .map(([k, v]) => `${k} = ${v}`)
      .join(', ');
    return `${at ? `# matrix point: ${at}\n` : ''}${stringify(inputOf(p), { lineWidth: 0 })}`;
  });
  return `${line}\n---\n${docs.join('---\n')}`;
}

function aboutTime(ms: number): string {
  return ms < 90_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      'check scenario files without running them: every field (all errors at once) and whether this machine can hold the sockets',
    )
    .argument('<files...>', 'scenario files or bundled names')
    .option('--resolved', 'also print each matrix point as a complete scenario, every default filled in')
    .action((files: string[], flags: { resolved?: boolean }) => {
      const limits = machineLimits();
      const codes: number[] = [];
      for (const f of files) {
        try {
          process.stdout.write(`${checkScenario(f, limits, { ...flags, warn: (w) => void process.stderr.write(`warning: ${w}\n`) })}\n`);
        } catch (err) {
          if (!(err instanceof ConnbenchError)) throw err;
          codes.push(exitCodeOf(err));
          process.stderr.write(formatError(err));
        }
      }
      // The code `run` would exit with: bad input (2) before a machine limit (3).
      if (codes.length > 0) process.exitCode = codes.includes(EXIT.input) ? EXIT.input : codes[0]!;
    });
}
