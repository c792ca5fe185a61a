import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lazyPackage } from '../../src/util/lazyPackage.js';

const HEAVY = ['undici', 'ws', 'eventsource', 'hdr-histogram-js'];

/**
 * Which of HEAVY a fresh process has loaded after importing these built modules and running `then`
 * (CommonJS packages show in require.cache).
 */
function loadedBy(modules: string[], then = ''): string[] {
  const imports = modules.map((m, i) => `const m${i} = await import(${JSON.stringify(path.resolve('dist', m))});`).join(' ');
  const script = `${imports} ${then}; const { createRequire } = await import('node:module'); const keys = Object.keys(createRequire(import.meta.url).cache); console.log(JSON.stringify(${JSON.stringify(HEAVY)}.filter((p) => keys.some((k) => k.includes('/node_modules/' + p + '/'))))); process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as string[];
}

describe('lazyPackage', () => {
  it('loads the package on the first call, once, as require does', () => {
    const ws = lazyPackage<typeof import('ws')>('ws');
    const first = ws();
    expect(first).toBe(createRequire(import.meta.url)('ws'));
    expect(ws()).toBe(first);
    expect(typeof first.WebSocketServer).toBe('function');
  });

  it('an unknown package fails on use, not on import', () => {
    const missing = lazyPackage('connbench-no-such-package');
    expect(() => missing()).toThrow(/connbench-no-such-package/);
  });

  // Built modules (npm run build): the server and the CLI import every model, and none of them
  // loads undici, ws or eventsource until a model of theirs runs, or hdr-histogram-js before the first histogram.
  it('the reference server, the model registry and the CLI load none of undici, ws, eventsource and hdr-histogram-js at import', () => {
    expect(loadedBy(['models/index.js'])).toEqual([]);
    expect(loadedBy(['server/main.js'])).toEqual([]);
    expect(loadedBy(['cli/program.js'])).toEqual([]);
  });

  // eventsource is also an ES module, which require.cache does not list: the sources are read instead.
  it('no module imports them but through lazyPackage, except the client dispatchers that only the workers load', () => {
    const files = (readdirSync('src', { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join('src', f));
    const runtimeImport = new RegExp(`^import\\s+(?!type\\b)[^;]*from '(${HEAVY.join('|')})';`, 'm');
    expect(files.filter((f) => runtimeImport.test(readFileSync(f, 'utf8')))).toEqual([path.join('src', 'client', 'dispatchers.ts')]);
  });

  // The runner takes a worker's memory baseline before the worker starts its clients: a package
  // loaded by the first client would count as memory per connection.
  it('a client worker loads every one of them at import', () => {
    expect(loadedBy(['client/worker.js']).sort()).toEqual([...HEAVY].sort());
  });

  it('a websocket server loads ws when it is made, and only ws', () => {
    expect(loadedBy(['models/index.js'], "m0.getModel('websocket').createServer({})")).toEqual(['ws']);
  });
});
