import type { Command } from 'commander';
import { loadScenario } from '../scenario/load.js';
import { MODEL_IDS } from '../models/index.js';
import { runScenario } from '../runner/run.js';
import { renderRunTable } from '../report/table.js';
import { resultPathOf, writeJson } from '../report/write.js';
import { progressListener } from './progress.js';
import { machineLimits } from '../runner/machine.js';
import type { RunListener } from '../runner/events.js';
import type { ThresholdOutcome } from '../report/result.js';
import { evaluateThresholds, parseThresholds, renderThresholdReport, thresholdFailure, unmatchedThresholds } from '../report/thresholds.js';
import { renderRunMarkdown } from '../report/markdown.js';
import { renderHtml } from '../report/html.js';
import { loadChartLibrary } from '../report/chartLibrary.js';
import { writeFileAtomic } from '../report/write.js';
import { interruptible } from './interruptible.js';
import { intFlag } from './flags.js';
import { runShardCommand, shardFlags } from './runShard.js';

interface RunFlags {
  models?: string;
  clients?: string;
  duration?: string;
  rate?: string;
  payload?: string;
  out?: string;
  json?: boolean;
  wide?: boolean;
  quiet?: boolean;
  repeat?: string;
  html?: string;
  markdown?: string;
  target?: string;
  shard?: string;
}

const repeatCount = (v: string | undefined) =>
  v === undefined ? 1 : intFlag('--repeat', v, { min: 1, max: 100, example: '3', code: 'CB_ERR_USAGE' });

/** `--clients 1000` → 1000; `--clients 100,1000` → a matrix axis; anything else goes to the schema as is. */
function numberOrList(v: string | undefined): unknown {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((p) => p.trim());
  const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return nums.length === 1 ? nums[0] : nums;
}

function listOrOne(v: string | undefined): unknown {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((p) => p.trim());
  return parts.length === 1 ? parts[0] : parts;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a scenario against every model it names and print one table')
    .argument('[scenario...]', 'bundled scenario name or YAML/JSON file', ['default'])
    .option('--models <ids>', `comma-separated model ids (${MODEL_IDS.join(',')})`)
    .option('--clients <n>', 'simulated clients per model (a comma list makes a matrix)')
    .option('--duration <d>', 'measured duration, e.g. 10s')
    .option('--rate <r>', 'message rate, e.g. 10/s')
    .option('--payload <size>', 'payload size, e.g. 128B or 4KiB')
    .option(
      '--out <file|dir>',
      'where to write the result JSON: a file, or a directory to write the default name in (default results/<scenario>-<timestamp>.json)',
    )
    .option('--json', 'print only the result JSON on stdout')
    .option('--wide', 'add resource columns (memory, CPU, bytes per message) to the table')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--repeat <n>', 'run each model n times and report the median with its spread')
    .option('--html <file>', 'also write a self-contained HTML report with charts')
    .option('--markdown <file>', 'also write a markdown report (a PR comment, $GITHUB_STEP_SUMMARY)')
    .option(
      '--target <url>',
      'run the clients against `connbench serve --control` at this URL instead of a server of their own (token: CONNBENCH_TOKEN)',
    )
    .option(
      '--shard <i/n>',
      'with --target: run only the clients c with c mod n = i and write a partial result for `connbench merge` (default 0/1)',
    )
    .action(async (scenarios: string[], flags: RunFlags) => {
      // Checked before the scenarios, so a bad target costs nothing.
      const remote = shardFlags(flags, process.env);
      const overrides = {
        models: flags.models?.split(',').map((m) => m.trim()),
        clients: numberOrList(flags.clients),
        duration: listOrOne(flags.duration),
        'workload.rate': listOrOne(flags.rate),
        'workload.payload': listOrOne(flags.payload),
      };
      // Validate every file before running any, so bad input costs nothing.
      const loaded = scenarios.map((name) => ({ name, points: loadScenario(name, overrides) }));
      const repeat = repeatCount(flags.repeat);
      // Thresholds too: a typo in one should cost nothing, not fail after a long run.
      const thresholdsOf = new Map(loaded.map(({ name, points }) => [name, parseThresholds(points[0]!.thresholds, `scenario "${name}"`)]));
      if (remote) return runShardCommand(loaded, remote, { repeat, json: flags.json, quiet: flags.quiet, out: flags.out });
      const chartLibrary = flags.html ? loadChartLibrary() : undefined;
      const failedThresholds: ThresholdOutcome[] = [];
      const { signal, exitCode } = interruptible();
      const listeners: RunListener[] = [];
      if (!flags.quiet && !flags.json && process.stderr.isTTY) listeners.push(progressListener(process.stderr));
      else if (!flags.quiet) listeners.push({ warning: (m) => void process.stderr.write(`warning: ${m}\n`) });

      for (const { name, points } of loaded) {
        const startedAt = new Date();
        const out = resultPathOf(flags.out, points[0]!.name, startedAt);
        const result = await runScenario(points, {
          listeners,
          signal,
          limits: machineLimits(),
          repeat,
          checkpoint: (r) => writeJson(out, r),
        });
        const thresholds = thresholdsOf.get(name)!;
        let thresholdText = '';
        if (thresholds.length > 0) {
          result.thresholds = evaluateThresholds(thresholds, result);
          failedThresholds.push(...result.thresholds.filter((o) => !o.passed));
          thresholdText = renderThresholdReport(result.thresholds, unmatchedThresholds(thresholds, result));
          writeJson(out, result);
        }
        if (flags.markdown) writeFileAtomic(flags.markdown, renderRunMarkdown(result));
        if (flags.html) writeFileAtomic(flags.html, renderHtml(result, chartLibrary!));
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          process.stderr.write(thresholdText);
        } else {
          process.stdout.write(renderRunTable(result, { wide: flags.wide, color: process.stdout.isTTY }));
          process.stdout.write(thresholdText);
          process.stdout.write(`result: ${out}\n`);
          if (flags.markdown) process.stdout.write(`markdown: ${flags.markdown}\n`);
          if (flags.html) process.stdout.write(`html: ${flags.html}\n`);
        }
        if (exitCode()) {
          process.exitCode = exitCode();
          return;
        }
      }
      if (failedThresholds.length > 0) throw thresholdFailure(failedThresholds);
    });
}
