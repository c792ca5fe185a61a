import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { nowUs } from '../metrics/clock.js';

/** Dead-peer times kept for the heartbeat lab; past this only the count grows (a run may expire many). */
const MAX_DEAD_PEER_TIMES = 100_000;

export type Count = (name: string, by?: number) => void;

export interface WireBytes {
  sentBytes: number;
  receivedBytes: number;
  httpRequests: number;
}

/** What the host reports besides its log: named event counts, bytes at the sockets, HTTP requests, dead-peer times. */
export class HostCounters {
  readonly byName: Record<string, number> = {};
  /** Bytes of sockets already closed; open ones are read live in wireBytes(). */
  private closedSentBytes = 0;
  private closedReceivedBytes = 0;
  private httpRequests = 0;
  /** Monotonic µs of each deadPeer(), in order, up to MAX_DEAD_PEER_TIMES. */
  private readonly deadPeerAtUs: number[] = [];

  count(name: string, by = 1): void {
    this.byName[name] = (this.byName[name] ?? 0) + by;
  }

  httpRequest(): void {
    this.httpRequests++;
  }

  /** A closed socket's bytes no longer show among the open ones, so they are kept here. */
  socketClosed(s: Socket | Duplex): void {
    this.closedSentBytes += (s as Socket).bytesWritten ?? 0;
    this.closedReceivedBytes += (s as Socket).bytesRead ?? 0;
  }

  /** Bytes at the sockets (headers, frames, handshakes and heartbeats included) and HTTP requests. */
  wireBytes(open: Iterable<Socket | Duplex>): WireBytes {
    let sent = this.closedSentBytes;
    let received = this.closedReceivedBytes;
    for (const s of open) {
      sent += (s as Socket).bytesWritten ?? 0;
      received += (s as Socket).bytesRead ?? 0;
    }
    return { sentBytes: sent, receivedBytes: received, httpRequests: this.httpRequests };
  }

  deadPeer(): void {
    this.count('heartbeatTimeouts');
    if (this.deadPeerAtUs.length < MAX_DEAD_PEER_TIMES) this.deadPeerAtUs.push(nowUs());
  }

  /** When peers were declared dead, at or after sinceUs (monotonic µs). */
  deadPeersSince(sinceUs: number): number[] {
    return this.deadPeerAtUs.filter((at) => at >= sinceUs);
  }
}
