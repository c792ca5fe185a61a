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

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors are bad input.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.input;
  } else {
    killAllChildren();
    process.stderr.write(formatError(err));
    process.exitCode = exitCodeOf(err);
  }
}
