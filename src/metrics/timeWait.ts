import { readFileSync } from 'node:fs';

/** `st` of /proc/net/tcp for TIME_WAIT. */
const TIME_WAIT = '06';

/** TIME_WAIT sockets on either side of some listening ports. */
export interface TimeWaitCount {
  /** Local port is one of them: the server (the side that closed first) keeps these. */
  server: number;
  /** Remote port is one of them: the clients keep these, and each holds an ephemeral port for 60 s. */
  client: number;
}

/**
 * Counts TIME_WAIT entries of /proc/net/tcp or tcp6 text by port. Both ends run on this machine,
 * and a TIME_WAIT socket belongs to no process, so the side is told by the port: the listening
 * port is local on the server's side and remote on the client's. Pure.
 */
export function countTimeWait(text: string, ports: ReadonlySet<number>): TimeWaitCount {
  let server = 0;
  let client = 0;
  for (const line of text.split('\n')) {
    // "  12: 0100007F:9C41 0100007F:D431 06 …": addresses are HEXIP:HEXPORT, the port big-endian hex.
    const f = line.trim().split(/\s+/);
    if (f[3] !== TIME_WAIT) continue;
    if (ports.has(portOf(f[1]))) server++;
    if (ports.has(portOf(f[2]))) client++;
  }
  return { server, client };
}

function portOf(address: string | undefined): number {
  const hex = address?.split(':')[1];
  return hex ? parseInt(hex, 16) : -1;
}

/** TIME_WAIT sockets by side of `ports`, IPv4 and IPv6 together; undefined where /proc/net/tcp cannot be read. */
export function readTimeWait(ports: Iterable<number>): TimeWaitCount | undefined {
  const set = new Set(ports);
  let any = false;
  const total: TimeWaitCount = { server: 0, client: 0 };
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    any = true;
    const c = countTimeWait(text, set);
    total.server += c.server;
    total.client += c.client;
  }
  return any ? total : undefined;
}
