import os from 'node:os';
import type { Command } from 'commander';
import { loadScenario } from '../scenario/load.js';
import { loadWarnings } from '../scenario/warnings.js';
import { MODEL_IDS } from '../models/index.js';
import { runScenario } from '../runner/run.js';
import { renderRunTable } from '../report/table.js';
import { checkOneScenarioPerFile, checkOutPath, resultPathOf, writableFile, writeJson } from '../report/write.js';
import { progressListener } from './progress.js';
import { machineLimits } from '../runner/machine.js';
import type { RunListener } from '../runner/events.js';
import type { RunResult, ThresholdOutcome } from '../report/result.js';
import {
  evaluateThresholds,
  parseThresholds,
  renderThresholdReport,
  thresholdFailure,
  unmatchedThresholds,
  type Threshold,
} from '../report/thresholds.js';
import { renderRunMarkdown } from '../report/markdown.js';
import { renderHtml } from '../report/html.js';
import { loadChartLibrary } from '../report/chartLibrary.js';
import { writeFileAtomic } from '../report/write.js';
import { interruptible } from './interruptible.js';
import { repeatCount, runOverridesOf, type RunFlags } from './runFlags.js';
import { runShardCommand, shardFlags } from './runShard.js';

function listenersOf(flags: RunFlags): RunListener[] {
  if (!flags.quiet && !flags.json && process.stderr.isTTY) return [progressListener(process.stderr)];
  if (!flags.quiet) return [{ warning: (m) => void process.stderr.write(`warning: ${m}\n`) }];
  return [];
}

/** The table (or JSON) and the files after a scenario's run; the thresholds' outcome in the result. */
function report(
  result: RunResult,
  out: string,
  thresholdText: string,
  flags: RunFlags,
  chartLibrary: ReturnType<typeof loadChartLibrary> | undefined,
): void {
  if (flags.markdown) writeFileAtomic(flags.markdown, renderRunMarkdown(result));
  if (flags.html) writeFileAtomic(flags.html, renderHtml(result, chartLibrary!));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(thresholdText);
    return;
  }
  process.stdout.write(renderRunTable(result, { wide: flags.wide, color: process.stdout.isTTY }));
  process.stdout.write(thresholdText);
  process.stdout.write(`result: ${out}\n`);
  if (flags.markdown) process.stdout.write(`markdown: ${flags.markdown}\n`);
  if (flags.html) process.stdout.write(`html: ${flags.html}\n`);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a scenario against every model it names and print one table')
    .argument('[scenario...]', 'bundled scenario name or YAML/JSON file', ['default'])
    .option('--models <ids>', `comma-separated model ids (${MODEL_IDS.join(',')})`)
    .option('--clients <n>', 'simulated clients per model (a comma list makes a matrix)')
    .option('--duration <d>', 'measured duration, e.g. 10s')
    .option('--rate <r>', 'message rate, e.g. 10/s (a comma list makes a matrix)')
    .option('--payload <size>', 'payload size, e.g. 128B or 4KiB (a comma list makes a matrix)')
    .option(
      '--out <file|dir>',
      'where to write the result JSON: a file, or a directory to write the default name in (default results/<scenario>-<timestamp>.json)',
    )
    .option(
      '--busy-poll',
      "client workers poll without sleeping while messages flow: latency without the machine's wake-up (costs a core each)",
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
    .option('--tls [which]', 'TLS on every model: on, off, or off,on (the default with --tls alone): plain and TLS side by side')
    .option('--tls-cert <file>', 'your own server certificate (PEM) instead of a throwaway CA; with --tls-key')
    .option('--tls-key <file>', 'the private key of --tls-cert')
    .option('--tls-ca <file>', 'the CA the clients trust for --tls-cert (default: the certificate itself), or for an https --via')
    .option('--intermediary <kinds>', 'none, nginx or haproxy in front of every server port (a comma list makes a matrix)')
    .option('--via <url>', 'your own intermediary: clients connect here; it forwards to 127.0.0.1:8080 (intermediary.upstream)')
    .option('--via-tcp <host:port>', 'with --via: where the tcp model connects; it forwards to 127.0.0.1:8081')
    .action((scenarios: string[], flags: RunFlags) => runCommand(scenarios, flags));
}

/** `connbench run`: every scenario in turn, reported as it ends; a failed threshold fails the command after the last. */
async function runCommand(scenarios: string[], flags: RunFlags): Promise<void> {
  // Every flag, file, threshold and output path is checked before anything runs, so bad input costs nothing.
  const remote = shardFlags(flags, process.env);
  const { overrides, setBy } = runOverridesOf(flags);
  const repeat = repeatCount(flags.repeat);
  const loaded = scenarios.map((name) => ({ name, points: loadScenario(name, overrides, setBy) }));
  const thresholdsOf = new Map(loaded.map(({ name, points }) => [name, parseThresholds(points[0]!.thresholds, `scenario "${name}"`)]));
  if (flags.out !== undefined) {
    checkOutPath('--out', flags.out);
    checkOneScenarioPerFile('--out', flags.out, loaded.length, true);
  }
  if (remote) return runShardCommand(loaded, remote, { repeat, json: flags.json, quiet: flags.quiet, out: flags.out });
  if (flags.html) {
    writableFile('--html', flags.html, 'report.html');
    checkOneScenarioPerFile('--html', flags.html, loaded.length, false);
  }
  if (flags.markdown) {
    writableFile('--markdown', flags.markdown, 'report.md');
    checkOneScenarioPerFile('--markdown', flags.markdown, loaded.length, false);
  }
  const chartLibrary = flags.html ? loadChartLibrary() : undefined;
  const listeners = listenersOf(flags);
  if (!flags.quiet)
    for (const w of loaded.flatMap(({ points }) => points.flatMap((p) => loadWarnings(p, os.cpus().length))))
      process.stderr.write(`warning: ${w}\n`);
  const failedThresholds: ThresholdOutcome[] = [];
  const { signal, exitCode } = interruptible();
  for (const { name, points } of loaded) {
    let out = '';
    const result = await runScenario(points, {
      listeners,
      signal,
      limits: machineLimits(),
      repeat,
      checkpoint: (r) => writeJson((out ||= resultPathOf(flags.out, r.scenario.name, new Date(r.startedAt))), r),
    });
    const thresholdText = checkThresholds(result, out, thresholdsOf.get(name)!, failedThresholds);
    report(result, out, thresholdText, flags, chartLibrary);
    if (exitCode()) {
      process.exitCode = exitCode();
      return;
    }
  }
  if (failedThresholds.length > 0) throw thresholdFailure(failedThresholds);
}

/**
 * A scenario's thresholds checked against its result, written into the result file at `out`; the
 * failed ones added to `failed`. Returns their report, '' without thresholds.
 */
function checkThresholds(result: RunResult, out: string, thresholds: Threshold[], failed: ThresholdOutcome[]): string {
  if (thresholds.length === 0) return '';
  result.thresholds = evaluateThresholds(thresholds, result);
  failed.push(...result.thresholds.filter((o) => !o.passed));
  const text = renderThresholdReport(result.thresholds, unmatchedThresholds(thresholds, result));
  writeJson(out, result);
  return text;
}
