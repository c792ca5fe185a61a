import { readFileSync } from 'node:fs';

/** Parses the soft "Max open files" limit out of /proc/<pid>/limits text. Pure. */
export function parseOpenFilesLimit(text: string): number | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!m) return undefined;
  return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

/** RLIMIT_NOFILE of this process (children inherit it); 20000 when it cannot be read. */
export function openFilesLimit(): number {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8')) ?? 20_000;
  } catch {
    return 20_000;
  }
}
