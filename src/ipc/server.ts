/**
 * Every message between the runner and a reference server process (src/server/main.ts), over the fork IPC channel.
 * Timestamps are monotonic microseconds (src/metrics/clock.ts), valid across processes.
 */
import type { ModelId, ServerSettings } from '../models/types.js';
import type { ListenerTls, Ports } from '../models/listeners.js';
import type { LogSnapshot } from '../models/log.js';
import type { ResourceSample } from '../metrics/process.js';
import type { ExpectedQuery, WireBytes } from './common.js';

/**
 * The counter in which a server process reports the microseconds its publishers spent spinning for
 * their messages' instants (Spinner.spunUs), carried through a restart as every counter is.
 */
export const PUBLISH_SPIN_COUNTER = 'publishSpinUs';

// ---- runner → server ----
export type ToServer =
  | ServerStart
  /**
   * untilUs: the end of the window; no message scheduled at or after it is published (the same count in every process).
   * recordLagFromUs: the publisher's lateness is recorded for messages scheduled from then on (the measured window).
   */
  | { type: 'publish'; ratePerSec: number; payloadBytes: number; t0Us: number; untilUs?: number; recordLagFromUs?: number }
  /** Publishes whatever is still due before untilUs (a stalled server catches up), then stops; replies `head`. */
  | { type: 'stop-publishing'; untilUs?: number }
  /** Appends `count` messages at once, stamped now (an idle workload's closing burst, the lab's bursts); replies `head`. */
  | { type: 'burst'; count: number; payloadBytes: number }
  /** Replies `head`: the last sequence number in the log (chat sends keep arriving after publishing stops). */
  | { type: 'head' }
  /** Replies `publish-times`: the publisher's lateness and handoff per message so far. */
  | { type: 'publish-times' }
  | { type: 'expected'; queries: ExpectedQuery[]; upToSeq: number }
  | { type: 'sample'; gc: boolean }
  /** When the server declared peers dead (ServerHost.deadPeer), at or after sinceUs. */
  | { type: 'dead-peers'; sinceUs: number }
  /** Drop fault: reset (RST) this fraction of the open connections, every k-th exactly. */
  | { type: 'drop'; fraction: number }
  /** Restart fault: stop publishing, close every connection and listener, hand over (then the runner kills it). */
  | { type: 'freeze' }
  | { type: 'shutdown' };

export interface ServerStart {
  type: 'start';
  /** The models this process serves, each with its own options (its scenario section, resolved). */
  models: { id: ModelId; options: unknown }[];
  host: string;
  /** A port per listener kind the models need; 0 = any free port. */
  ports: Ports;
  retention: number;
  settings: ServerSettings;
  /** TLS on every listener; absent = plain (also behind an intermediary that terminates TLS). */
  tls?: ListenerTls;
  /** A restart fault: carry on from the server this one replaces. */
  restore?: ServerHandover;
}

/** What a server hands its replacement (restart fault): the log, the publisher's place, its running totals. */
export interface ServerHandover {
  log: LogSnapshot;
  /** The publisher's schedule and the index of the next message due; absent when it was not publishing. */
  publisher?: { ratePerSec: number; payloadBytes: number; t0Us: number; untilUs?: number; nextIndex: number };
  /** Totals so far, added to the replacement's own so that samples stay cumulative across the restart. */
  carry: {
    cpuUserUs: number;
    cpuSystemUs: number;
    wireBytes: WireBytes;
    counters: Record<string, number>;
    peakRssBytes: number;
    acceptedBySourceAddress: Record<string, number>;
  };
}

// ---- server → runner ----
export type FromServer =
  | { type: 'listening'; ports: Ports; pid: number }
  | { type: 'head'; lastSeq: number }
  /**
   * The publisher's lateness per message and its handoff (Publisher.handoff), encoded µs
   * histograms; null when nothing was published on a schedule.
   */
  | { type: 'publish-times'; lag: string | null; handoff: string | null }
  | { type: 'expected'; counts: number[] }
  /** Monotonic µs of each dead-peer detection asked for, in order. */
  | { type: 'dead-peers'; atUs: number[] }
  | { type: 'dropped'; reset: number; open: number }
  | { type: 'frozen'; handover: ServerHandover }
  | {
      type: 'sample';
      sample: ResourceSample;
      peakRssBytes: number;
      counters: Record<string, number>;
      wireBytes: WireBytes;
      /** Connections accepted so far per client source address (reconnects included). */
      acceptedBySourceAddress?: Record<string, number>;
    }
  | { type: 'error'; code: string; message: string; hint?: string };
