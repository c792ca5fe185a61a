import { describe, expect, it } from 'vitest';
import { countTimeWait } from '../../src/metrics/timeWait.js';
import { parseSchedstatNs, parseVmRssBytes, sampleProcessTree } from '../../src/metrics/processTree.js';

/** Lines as /proc/net/tcp has them (IPv4 little-endian hex address, big-endian hex port). */
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0200007F:D431 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
   2: 0100007F:1F90 0200007F:D432 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
   3: 0200007F:D433 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
   4: 0100007F:1F91 0200007F:D434 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
   5: 0100007F:1F90 0200007F:D435 01 00000000:00000000 00:00000000 00000000     0        0 7 1 0000000000000000
`;

describe('TIME_WAIT by side of a port', () => {
  it('counts state 06 with the port local as the server side and remote as the client side', () => {
    // 0x1F90 = 8080.
    expect(countTimeWait(TCP, new Set([8080]))).toEqual({ server: 2, client: 1 });
    expect(countTimeWait(TCP, new Set([8080, 8081]))).toEqual({ server: 3, client: 1 });
    expect(countTimeWait(TCP, new Set([9999]))).toEqual({ server: 0, client: 0 });
  });
});

describe("a process tree's memory and CPU", () => {
  it('reads VmRSS and schedstat', () => {
    expect(parseVmRssBytes('Name:\tnginx\nVmRSS:\t    7168 kB\nThreads:\t1\n')).toBe(7168 * 1024);
    expect(parseVmRssBytes('Name:\tzombie\n')).toBe(0);
    expect(parseSchedstatNs('123456789 2222 33\n')).toBe(123_456_789);
  });

  it('samples this process: its RSS, CPU time and sockets; nothing for a pid that is gone', () => {
    const t = sampleProcessTree(process.pid)!;
    expect(t.pids[0]).toBe(process.pid);
    expect(t.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(t.cpuUs).toBeGreaterThan(0);
    expect(sampleProcessTree(2 ** 22 + 1)).toBe(undefined);
  });
});
