import type { Command } from 'commander';
import { readResultFile } from '../report/readResult.js';
import { compareResults, parseFailOn, DEFAULT_NOISE_PERCENT, type FailOnRule } from '../report/compare.js';
import { renderCompareJson, renderCompareMarkdown, renderCompareTable } from '../report/compareRender.js';
import { initHistograms } from '../metrics/histogram.js';
import { parseQuantity } from '../report/metricPaths.js';
import { ConnbenchError, inputError } from '../util/errors.js';
import { collect } from './flags.js';

interface CompareFlags {
  format: string;
  failOn: string[];
  noise?: string;
}

const FORMATS = ['table', 'markdown', 'json'] as const;

function noisePercentOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_NOISE_PERCENT;
  const percent = parseQuantity(text, 'percent');
  if (percent === undefined) throw inputError('CB_ERR_USAGE', `--noise "${text}" is not a percentage`, 'write it like --noise 5%');
  return percent;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare two result files per model and metric; mark regressions; --fail-on for CI')
    .argument('<base>', 'the result JSON to compare against (e.g. results/baselines/ci-smoke.json)')
    .argument('<head>', 'the new result JSON')
    .option('--format <format>', `output: ${FORMATS.join(' | ')}`, 'table')
    .option('--fail-on <rule>', "exit 1 when a change passes a limit, e.g. 'latency.p99 > +10%' (repeatable)", collect, [])
    .option(
      '--noise <percent>',
      `changes within this share count as noise when the base holds a single run (default ${DEFAULT_NOISE_PERCENT}%)`,
    )
    .action(async (baseFile: string, headFile: string, flags: CompareFlags) => {
      if (!(FORMATS as readonly string[]).includes(flags.format)) {
        throw inputError(
          'CB_ERR_USAGE',
          `--format "${flags.format}" is not one of ${FORMATS.join(', ')}`,
          'use --format table, markdown or json',
        );
      }
      const rules: FailOnRule[] = flags.failOn.map(parseFailOn);
      const noisePercent = noisePercentOf(flags.noise);
      const base = readResultFile(baseFile);
      const head = readResultFile(headFile);
      await initHistograms();
      const cmp = compareResults(base, head, { files: { base: baseFile, head: headFile }, noisePercent, failOn: rules });
      for (const w of cmp.warnings) process.stderr.write(`warning: ${w}\n`);
      const text =
        flags.format === 'json'
          ? renderCompareJson(cmp)
          : flags.format === 'markdown'
            ? renderCompareMarkdown(cmp)
            : renderCompareTable(cmp, { color: process.stdout.isTTY });
      process.stdout.write(text);
      if (cmp.rows.length === 0) {
        throw inputError(
          'CB_ERR_COMPARE_NOTHING',
          `${baseFile} and ${headFile} have no model (and matrix point) in common`,
          'compare runs of the same models',
        );
      }
      const failed = cmp.failOn.filter((o) => o.failed);
      if (failed.length) {
        throw new ConnbenchError(
          'CB_ERR_COMPARE_FAILED',
          `${failed.length} --fail-on check${failed.length === 1 ? '' : 's'} failed, first: ${failed[0]!.message}`,
          {
            kind: 'threshold',
            hint: 'the head run regressed past a --fail-on limit; fix the regression, or update the baseline on purpose',
          },
        );
      }
    });
}
