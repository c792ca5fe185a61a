import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { runError } from '../util/errors.js';

/**
 * Chart.js, read from node_modules at render time so the HTML report can inline it and open
 * offline. Chart.js does not export its UMD bundle as a subpath, so it is found beside the entry.
 */
export interface ChartLibrary {
  name: string;
  version: string;
  source: string;
}

let cached: ChartLibrary | undefined;

export function loadChartLibrary(): ChartLibrary {
  if (cached) return cached;
  try {
    const entry = createRequire(import.meta.url).resolve('chart.js');
    const dist = path.dirname(entry);
    const source = readFileSync(path.join(dist, 'chart.umd.min.js'), 'utf8');
    const pkg = JSON.parse(readFileSync(path.join(dist, '..', 'package.json'), 'utf8')) as { version: string };
    cached = { name: 'Chart.js', version: pkg.version, source };
    return cached;
  } catch (err) {
    throw runError(
      'CB_ERR_CHART_LIBRARY',
      `cannot read Chart.js for the HTML report: ${(err as Error).message}`,
      "reinstall connbench's dependencies (npm ci)",
      err,
    );
  }
}
