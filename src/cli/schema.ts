import type { Command } from 'commander';
import { z } from 'zod';
import { scenarioSchema } from '../scenario/schema.js';

/** The scenario JSON Schema (input side: what a user writes, units as strings). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of scenario files (for editors and CI)')
    .action(() => void process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`));
}
