import type { Command } from 'commander';
import { bundledNames, loadScenario } from '../scenario/load.js';
import { allModels } from '../models/index.js';

/** Bundled scenarios with their one-line descriptions, then the model ids. Pure over the files. */
export function renderList(): string {
  const names = bundledNames();
  const width = Math.max(...names.map((n) => n.length), 8);
  const lines = ['Bundled scenarios (connbench run <name>):'];
  for (const name of names) {
    let description: string;
    try {
      description = loadScenario(name)[0]!.description.split('\n')[0]!;
    } catch (err) {
      description = `(invalid: ${(err as Error).message.split('\n')[0]})`;
    }
    lines.push(`  ${name.padEnd(width)}  ${description}`);
  }
  lines.push('', 'Models (--models):');
  for (const m of allModels()) lines.push(`  ${m.id.padEnd(width)}  ${m.title}`);
  return `${lines.join('\n')}\n`;
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list the bundled scenarios and the model ids')
    .action(() => void process.stdout.write(renderList()));
}
