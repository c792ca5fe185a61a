import { Command, CommanderError } from 'commander';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';
import { registerList } from './list.js';
import { registerValidate } from './validate.js';
import { registerSchema } from './schema.js';
import { registerCompare } from './compare.js';
import { registerReport } from './report.js';
import { registerHeartbeat } from './heartbeat.js';
import { registerProxy } from './proxy.js';
import { registerMerge } from './merge.js';
import { EXIT, exitCodeOf, formatError } from './exitCodes.js';
import { TOOL_VERSION } from '../util/version.js';
import { killAllChildren } from '../runner/child.js';

/** The whole command tree, fresh: main.ts runs one per process, the CLI tests one per case. */
export function createProgram(): Command {
  const program = new Command();
  program
    .name('connbench')
    .description('Compare server-push connection models: short polling, long polling, SSE, WebSocket and raw TCP.')
    .version(TOOL_VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.showHelpAfterError('(run `connbench --help` for usage)');
  registerRun(program);
  registerServe(program);
  registerList(program);
  registerValidate(program);
  registerSchema(program);
  registerCompare(program);
  registerReport(program);
  registerHeartbeat(program);
  registerProxy(program);
  registerMerge(program);
  return program;
}

/**
 * Runs one command line (`argv` as process.argv has it) and returns its exit code. The only place
 * errors become exit codes: a ConnbenchError by its kind, anything else is a bug.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv]);
    return Number(process.exitCode ?? EXIT.ok);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage errors are bad input.
      return err.exitCode === 0 ? EXIT.ok : EXIT.input;
    }
    killAllChildren();
    process.stderr.write(formatError(err));
    return exitCodeOf(err);
  }
}
