import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

/**
 * The proof that a model is one folder: a copy of the project gets the toy model of
 * test/fixtures/toy-model as src/models/ndjson/ and one entry in the registry's list (with its
 * import), is built, and the model then shows in `list`, `schema`, `serve`, `run` and `report`
 * with nothing else edited.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let bin: string;

const cli = (args: string[], timeoutMs = 60_000) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: timeoutMs, cwd: dir });

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'connbench-sixth-model-'));
  for (const f of ['src', 'bin', 'scenarios', 'package.json', 'tsconfig.json'])
    cpSync(path.join(root, f), path.join(dir, f), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  cpSync(path.join(root, 'test/fixtures/toy-model'), path.join(dir, 'src/models/ndjson'), { recursive: true });
  const registry = path.join(dir, 'src/models/index.ts');
  const text = readFileSync(registry, 'utf8');
  const withModel = text
    .replace(
      "import { tcpModel } from './tcp/index.js';",
      "import { tcpModel } from './tcp/index.js';\nimport { ndjsonModel } from './ndjson/index.js';",
    )
    .replace('websocketModel, tcpModel]', 'websocketModel, tcpModel, ndjsonModel]');
  expect(withModel.split('\n').length - text.split('\n').length, 'one line added to the registry').toBe(1);
  writeFileSync(registry, withModel);
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')], {
    encoding: 'utf8',
  });
  expect(tsc.stdout + tsc.stderr, 'the copy with a sixth model builds').toBe('');
  bin = path.join(dir, 'bin/connbench.js');
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a sixth model from one folder and one registry entry', () => {
  it('is listed, and its section is in the scenario schema', () => {
    const list = cli(['list']);
    expect(list.stdout).toMatch(/ndjson\s+newline-delimited JSON/);
    const schema = JSON.parse(cli(['schema']).stdout) as {
      properties: { models: { items: { enum: string[] } }; ndjson: { properties: Record<string, unknown> } };
    };
    expect(schema.properties.models.items.enum).toContain('ndjson');
    expect(Object.keys(schema.properties.ndjson.properties)).toEqual(['blankLineHeartbeat']);
  });

  it('is served by `connbench serve`, which names its endpoint', async () => {
    const serve = spawn(process.execPath, [bin, 'serve', '--port', '0', '--tcp-port', '0', '--rate', '20/s'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`serve printed no ndjson endpoint: ${out}`)), 20_000);
        serve.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /ndjson\s+GET\s+(http:\/\/127\.0\.0\.1:\d+\/ndjson)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const res = await request(`${url}?cursor=0`);
      expect(res.headers['content-type']).toBe('application/x-ndjson');
      const first = await new Promise<string>((resolve) => res.body.once('data', (c: Buffer) => resolve(c.toString())));
      expect(JSON.parse(first.split('\n')[0]!)).toEqual({ type: 'hello', cursor: 0 });
      res.body.destroy();
    } finally {
      serve.kill('SIGKILL');
    }
  });

  it('runs through the runner with its own section in the scenario, loses nothing, and is in the reports', () => {
    const scenario = path.join(dir, 'toy.yaml');
    writeFileSync(
      scenario,
      [
        'name: toy',
        'models: [ndjson, sse]',
        'clients: 20',
        'rampUp: 200ms',
        'warmup: 300ms',
        'duration: 1s',
        'workload: { rate: 20/s }',
        'ndjson: { blankLineHeartbeat: false }',
      ].join('\n'),
    );
    const out = path.join(dir, 'toy.json');
    const run = cli(['run', scenario, '--out', out, '-q'], 120_000);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      scenario: Record<string, unknown>;
      models: { model: string; status: string; messages: { delivered: number; lost: number; duplicates: number } }[];
    };
    expect(result.scenario.ndjson).toEqual({ blankLineHeartbeat: false });
    const [ndjson] = result.models;
    expect(ndjson!.model).toBe('ndjson');
    expect(ndjson!.status).not.toBe('failed');
    expect(ndjson!.messages.delivered).toBeGreaterThan(0);
    expect(ndjson!.messages.lost).toBe(0);
    expect(ndjson!.messages.duplicates).toBe(0);
    expect(run.stdout).toMatch(/ndjson/);
    expect(cli(['report', out, '--markdown']).stdout).toMatch(/\| \*\*ndjson\*\* \| ok \|/);
    expect(cli(['validate', scenario, '--resolved']).stdout).toMatch(/ndjson:\s*\n\s*blankLineHeartbeat: false/);
  }, 180_000);
});
