import type { Command } from 'commander';
import { planLab, type LabFlags } from '../heartbeat/plan.js';
import { runHeartbeatLab } from '../heartbeat/lab.js';
import { probeIdleTimeout } from '../heartbeat/probe.js';
import { renderHeartbeatMarkdown, renderHeartbeatTable, renderProbe } from '../heartbeat/render.js';
import { PRESETS } from '../heartbeat/presets.js';
import type { HeartbeatResult } from '../heartbeat/result.js';
import { checkOutPath, resultPathOf, writeJson } from '../report/write.js';
import { formatDurationMs } from '../util/units.js';
import { inputError } from '../util/errors.js';
import { EXIT } from './exitCodes.js';
import { interruptible } from './interruptible.js';
import { durationFlag, intFlag } from './flags.js';

interface HeartbeatFlags extends LabFlags {
  out?: string;
  json?: boolean;
  markdown?: boolean;
  quiet?: boolean;
}

interface ProbeFlags {
  via: string;
  resolution: string;
  max: string;
  start: string;
  parallel: string;
  json?: boolean;
  quiet?: boolean;
}

/** `connbench heartbeat presets`: the table of published idle timeouts. */
export function renderPresets(): string {
  const width = Math.max(...PRESETS.map((p) => p.id.length));
  const indent = ' '.repeat(2 + width + 2 + 4 + 2 + 10 + 2);
  const lines = PRESETS.map(
    (p) =>
      `  ${p.id.padEnd(width)}  ${formatDurationMs(p.idleTimeoutMs).padStart(4)}  ${p.idleAction.padEnd(10)}  ${p.setting}\n${indent}${p.source}`,
  );
  return `Presets (--preset), published defaults:\n${lines.join('\n')}\n`;
}

export function registerHeartbeat(program: Command): void {
  const hb = program
    .command('heartbeat')
    .description('sweep heartbeat intervals through a fault proxy that cuts idle connections like a real intermediary, and recommend one')
    .option('--model <ids>', 'comma-separated model ids (default: all five)')
    .option('--idle-timeout <d>', 'idle timeout of the intermediary, e.g. 60s')
    .option('--preset <id>', `a published default: ${PRESETS.map((p) => p.id).join(', ')}`)
    .option('--idle-action <a>', "how it cuts: fin, rst, silent, silent-rst (default: the preset's, else fin)")
    .option('--intervals <list>', 'heartbeat intervals to try, e.g. 10s,20s,30s (default: from the idle timeout)')
    .option('--heartbeat-timeout <d>', 'dead-peer timeout for every interval (default: twice each interval)')
    .option('--clients <n>', 'clients per interval', '50')
    .option('--time-scale <n>', 'run every duration this many times shorter; "auto" makes the idle timeout last 1 s', 'auto')
    .option('--observe <d>', 'how long connections sit idle per interval (default: 3 × the idle timeout)')
    .option('--safety-margin <f>', 'fraction of the idle timeout a heartbeat keeps free', '0.5')
    .option('--detect-within <d>', 'a dead peer must be noticed within this long', '2m')
    .option('--tcp-keep-alive <d>', 'also turn on TCP keep-alive (it does not keep a layer-7 idle timer alive)')
    .option('--no-sse-echo', 'SSE clients do not echo heartbeats (cheaper, but the SSE server cannot detect a dead client)')
    .option('--out <path>', 'the result JSON file, or a directory for the default name (default results/heartbeat-<timestamp>.json)')
    .option('--json', 'print only the result JSON on stdout')
    .option('--markdown', 'print the report as markdown')
    .option('-q, --quiet', 'no progress on stderr')
    .action((flags: HeartbeatFlags) => runSweep(flags));

  hb.command('presets')
    .description('list the presets: published idle timeouts of common intermediaries, with their sources')
    .action(() => void process.stdout.write(renderPresets()));

  hb.command('probe')
    .description('measure the idle timeout of a real path: `connbench serve` behind your intermediary, --via its URL')
    .requiredOption('--via <url>', "the intermediary's URL in front of `connbench serve`, e.g. http://127.0.0.1:8088/")
    .option('--resolution <d>', 'stop when the timeout is known this closely', '1s')
    .option('--max <d>', 'the longest silence tried', '10m')
    .option('--start <d>', 'the shortest silence tried (then doubling)', '1s')
    .option('--parallel <n>', 'probes in flight per round', '4')
    .option('--json', 'print only the result JSON')
    .option('-q, --quiet', 'no progress on stderr')
    .action((_own: ProbeFlags, cmd: Command) => runProbe(cmd));
}

/** Progress lines go to stderr only when a person watches it and stdout is not the JSON alone. */
const showsProgress = (f: { quiet?: boolean; json?: boolean }) => !f.quiet && !f.json && process.stderr.isTTY;

/** `connbench heartbeat`: runs the sweep, saving the result after each step, then prints it. */
async function runSweep(flags: HeartbeatFlags): Promise<void> {
  const plan = planLab(flags);
  if (flags.out !== undefined) checkOutPath('--out', flags.out);
  const { signal, exitCode } = interruptible();
  const startedAt = new Date();
  const out = resultPathOf(flags.out, 'heartbeat', startedAt);
  const progress = showsProgress(flags) ? (line: string) => void process.stderr.write(`${line}\n`) : undefined;
  const result: HeartbeatResult = await runHeartbeatLab({
    plan,
    signal,
    ...(progress ? { progress } : {}),
    checkpoint: (r) => writeJson(out, r),
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(flags.markdown ? renderHeartbeatMarkdown(result) : renderHeartbeatTable(result, { color: process.stdout.isTTY }));
    process.stdout.write(`${flags.markdown ? '\n' : ''}result: ${out}\n`);
  }
  if (exitCode()) process.exitCode = exitCode();
  else if (result.models.some((m) => m.status === 'failed')) process.exitCode = EXIT.run;
}

/** `connbench heartbeat probe`: finds the idle timeout of the path --via leads through. */
async function runProbe(cmd: Command): Promise<void> {
  // `heartbeat` has --json and --quiet too, and commander gives flags after `probe` to it: read both.
  const f = cmd.optsWithGlobals<ProbeFlags>();
  const resolutionMs = durationFlag('--resolution', f.resolution, '1s', { positive: true });
  const maxMs = durationFlag('--max', f.max, '1s', { positive: true });
  const startMs = durationFlag('--start', f.start, '1s', { positive: true });
  const parallel = intFlag('--parallel', f.parallel, { min: 1, max: 32, example: '4' });
  if (startMs > maxMs)
    throw inputError('CB_ERR_BAD_FLAG', `--start (${f.start}) must not be longer than --max (${f.max})`, 'lower --start or raise --max');
  const onAttempt = showsProgress(f)
    ? (a: { silenceMs: number; survived: boolean }) =>
        void process.stderr.write(`  ${formatDurationMs(a.silenceMs)} of silence: ${a.survived ? 'survived' : 'cut'}\n`)
    : undefined;
  const result = await probeIdleTimeout({ via: f.via, resolutionMs, maxMs, startMs, parallel, ...(onAttempt ? { onAttempt } : {}) });
  process.stdout.write(f.json ? `${JSON.stringify(result, null, 2)}\n` : renderProbe(result));
}
