import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);
/** The loaders lazyPackage has made in this process, in the order their modules were imported. */
const everyPackage: (() => unknown)[] = [];

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
  const load = () => (loaded ??= requireHere(name) as T);
  everyPackage.push(load);
  return load;
}

/**
 * Loads every package lazyPackage was asked for so far, now: for a process whose memory per
 * connection is measured from a baseline taken before it starts any work (a client worker), so
 * that no package loads inside the measured window. Loaded there, hdr-histogram-js alone added
 * about 7 MB to a worker's figure.
 */
export function loadLazyPackages(): void {
  for (const load of everyPackage) load();
}
