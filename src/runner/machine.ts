import os from 'node:os';
import { openFilesLimit } from '../metrics/limits.js';
import type { Limits } from './plan.js';

/** This machine's limits as planRun reads them: the open-files limit and the memory available now (MemAvailable). */
export function machineLimits(): Limits {
  return { openFilesLimit: openFilesLimit(), availableMemoryBytes: os.freemem() };
}
