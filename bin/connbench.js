#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm install` through the prepare script).
import { existsSync } from 'node:fs';
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('connbench: the CLI is not built (dist/ is missing). Run `npm install` or `npm run build` in the package folder.\n');
  process.exit(3);
}
await import(entry.href);
