import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * A package loaded on its first use instead of when the module that uses it is imported. Loading
 * undici takes about 110 ms, ws 60 and eventsource 12 (each alone, `node -e "import('ws')"`), and
 * most processes use none of them: the reference server of a tcp or SSE run, `connbench validate`,
 * the CLI of any run. Every model is imported by every process (the registry lists them all), so
 * the packages only one model's client or server uses are loaded by that model, when it runs.
 * The package's own CommonJS entry is what loads: ws, undici and eventsource all ship one.
 */
export function lazyPackage<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(name) as T);
}
