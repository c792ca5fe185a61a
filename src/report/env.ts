import os from 'node:os';

export interface RunEnv {
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  memoryBytes: number;
}

/** The machine a result was measured on, as every result kind records it. */
export function currentEnv(): RunEnv {
  return { node: process.version, platform: process.platform, arch: process.arch, cpus: os.cpus().length, memoryBytes: os.totalmem() };
}
