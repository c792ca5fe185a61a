import { EXIT } from './exitCodes.js';
import { killAllChildren } from '../runner/child.js';

/** Ctrl-C stops at the next step with what finished; a second one stops at once. */
export function interruptible(): { signal: AbortSignal; exitCode: () => number } {
  const controller = new AbortController();
  let code = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (code) {
      killAllChildren();
      process.exit(code);
    }
    code = sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: controller.signal, exitCode: () => code };
}
