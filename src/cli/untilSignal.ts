import { EXIT } from './exitCodes.js';

/** Resolves on the first SIGINT or SIGTERM, setting the exit code a long-running command ends with. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (sig: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.exitCode = sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
      resolve(sig);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
