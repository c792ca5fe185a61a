import type { Command } from 'commander';
import { readResultFile } from '../report/readResult.js';
import { renderRunTable } from '../report/table.js';
import { renderRunMarkdown } from '../report/markdown.js';
import { renderHtml } from '../report/html.js';
import { loadChartLibrary } from '../report/chartLibrary.js';
import { writableFile, writeFileAtomic } from '../report/write.js';
import { evaluateThresholds, parseThresholds, renderThresholdReport, thresholdFailure, unmatchedThresholds } from '../report/thresholds.js';
import { initHistograms } from '../metrics/histogram.js';
import { splitRule } from '../report/condition.js';
import { collect } from './flags.js';

interface ReportFlags {
  markdown?: boolean;
  html?: string;
  wide?: boolean;
  check?: boolean;
  threshold: string[];
}

/** `websocket.latency.p99<20ms` or `websocket.latency.p99 < 20ms` → target and condition. */
function splitThresholdFlag(text: string): [string, string] {
  const rule = splitRule(text);
  return rule ? [rule.target, `${rule.op} ${rule.rest}`] : [text, ''];
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('render a result file: table (default), --markdown, --html FILE; --check its thresholds')
    .argument('<result>', 'a result JSON written by `connbench run`')
    .option('--markdown', 'print markdown (for a pull-request comment or $GITHUB_STEP_SUMMARY) instead of the table')
    .option('--html <file>', 'write a self-contained HTML report with charts')
    .option('--wide', 'add resource columns to the table')
    .option('--check', "check the scenario's thresholds against the result; exit 1 when one fails")
    .option(
      '--threshold <rule>',
      "an extra threshold to check, e.g. 'websocket.latency.p99 < 20ms' (repeatable; implies --check)",
      collect,
      [],
    )
    .action(async (file: string, flags: ReportFlags) => {
      const result = readResultFile(file);
      if (flags.html) writableFile('--html', flags.html, 'report.html');
      await initHistograms();
      const check = flags.check || flags.threshold.length > 0;
      let failure: Error | undefined;
      let thresholdText = '';
      if (check) {
        const extra = Object.fromEntries(flags.threshold.map(splitThresholdFlag));
        const thresholds = [
          ...parseThresholds(result.scenario.thresholds ?? {}, `${file} scenario`),
          ...parseThresholds(extra, '--threshold'),
        ];
        const outcomes = evaluateThresholds(thresholds, result);
        result.thresholds = outcomes;
        thresholdText = renderThresholdReport(outcomes, unmatchedThresholds(thresholds, result)) || 'thresholds: none in the scenario\n';
        const failed = outcomes.filter((o) => !o.passed);
        if (failed.length) failure = thresholdFailure(failed);
      } else if (result.thresholds?.length) {
        // What the run itself found, as it was stored.
        thresholdText = renderThresholdReport(result.thresholds);
      }
      if (flags.html) {
        writeFileAtomic(flags.html, renderHtml(result, loadChartLibrary()));
        process.stderr.write(`html: ${flags.html}\n`);
      }
      if (flags.markdown) process.stdout.write(renderRunMarkdown(result));
      else if (!flags.html || check)
        process.stdout.write(renderRunTable(result, { wide: flags.wide, color: process.stdout.isTTY }) + thresholdText);
      if (failure) throw failure;
    });
}
