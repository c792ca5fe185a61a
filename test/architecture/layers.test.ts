import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = path.join(root, '.dependency-cruiser.cjs');
const depcruise = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const LAYERS = layersOfConfig();

/** The LAYERS literal of the config (it exports only what depcruise reads), as data. */
function layersOfConfig(): string[][] {
  const list = /const LAYERS = (\[[\s\S]*?\]);/.exec(readFileSync(config, 'utf8'))![1]!;
  return JSON.parse(list.replace(/'/g, '"').replace(/,(\s*\])/g, '$1')) as string[][];
}

function cruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [depcruise, 'src', '--config', config, '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the import rule of src/', () => {
  it('holds for the code as it is', () => {
    const r = cruise(root);
    expect(r.out).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  });

  it('fails an upward import and a sideways one with the name of the rule each breaks', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-layers-'));
    try {
      cpSync(path.join(root, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
      for (const f of ['models', 'server', 'client', 'util']) mkdirSync(path.join(dir, 'src', f), { recursive: true });
      writeFileSync(path.join(dir, 'src/util/units.ts'), 'export const one = 1;\n');
      writeFileSync(path.join(dir, 'src/server/hub.ts'), "import { one } from '../util/units.js';\nexport const hub = one;\n");
      writeFileSync(path.join(dir, 'src/models/types.ts'), "import { hub } from '../server/hub.js';\nexport const t = hub;\n");
      writeFileSync(path.join(dir, 'src/client/session.ts'), "import { hub } from '../server/hub.js';\nexport const s = hub;\n");
      const r = cruise(dir);
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/models-imports-only-below: src\/models\/types\.ts → src\/server\/hub\.ts/);
      expect(r.out).toMatch(/client-imports-only-below: src\/client\/session\.ts → src\/server\/hub\.ts/);
      // The downward imports of the same files pass.
      expect(r.out).not.toMatch(/server-imports-only-below/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names every folder of src/ once, in the order ARCHITECTURE.md writes', () => {
    const folders = execFileSync('ls', [path.join(root, 'src')], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .sort();
    expect(LAYERS.flat().sort()).toEqual(folders);
    const doc = readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8');
    const line = /^Import order: (.+)$/m.exec(doc)?.[1];
    expect(line, 'ARCHITECTURE.md has a line "Import order: util → metrics → …"').toBeDefined();
    const written = line!.split('→').map((layer) =>
      layer
        .replace(/`/g, '')
        .split('|')
        .map((f) => f.trim()),
    );
    expect(written).toEqual(LAYERS);
  });
});
