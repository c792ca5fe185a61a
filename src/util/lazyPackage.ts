import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * A package loaded on its first use instead of when the module that uses it is imported. Loading
 * undici takes about 110 ms, ws 60, hdr-histogram-js 57 and eventsource 12 (each alone,
 * `node -e "import('ws')"`), and many processes use none of them: the reference server of a tcp or
 * SSE run needs no undici or ws, `connbench validate` no histogram. Every model is imported by
 * every process (the registry lists them all), so the packages only one model's client or server
 * uses are loaded by that model, when it runs. The package's own CommonJS entry is what loads:
 * all four ship one.
 */
export function lazyPackage<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(name) as T);
}
