import os from 'node:os';
import { readFileSync } from 'node:fs';
import { openFilesLimit } from '../metrics/limits.js';
import type { Limits } from './plan.js';

/** This machine's limits as planRun reads them: the open-files limit, the memory available now (MemAvailable), the ephemeral ports. */
export function machineLimits(): Limits {
  const ports = ephemeralPorts();
  return { openFilesLimit: openFilesLimit(), availableMemoryBytes: os.freemem(), ...(ports ? { portsPerDestination: ports } : {}) };
}

/** Ports in net.ipv4.ip_local_port_range (32768-60999: 28,232); undefined where it cannot be read. */
export function ephemeralPorts(): number | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && high !== undefined && high >= low ? high - low + 1 : undefined;
  } catch {
    return undefined;
  }
}
