import { readFileSync } from 'node:fs';

/**
 * Kernel socket memory from /proc/net/sockstat: the `TCP: … mem N` field counts pages held by
 * all TCP sockets of the host (buffers), so it is sampled around a run rather than per process.
 */
export function parseSockstatTcpPages(text: string): number | undefined {
  const m = /^TCP:.*\bmem (\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

export const PAGE_BYTES = 4096;

/** Kernel TCP memory in bytes, or undefined where /proc/net/sockstat cannot be read. */
export function readKernelTcpBytes(): number | undefined {
  try {
    const pages = parseSockstatTcpPages(readFileSync('/proc/net/sockstat', 'utf8'));
    return pages === undefined ? undefined : pages * PAGE_BYTES;
  } catch {
    return undefined;
  }
}
