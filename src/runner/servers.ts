import type { Scenario } from '../scenario/schema.js';
import type { ModelId } from '../models/types.js';
import type { Ports } from '../models/listeners.js';
import type { ExpectedQuery, PublishTimes } from '../ipc/common.js';
import type { ServerFigures, WindowUs } from '../ipc/control.js';
import type { ProcessUsage } from '../report/result.js';
import type { ResourceSample } from '../metrics/process.js';
import { ServerGroup, type ServerListening, type ServerMember, type ServerSample } from './serverGroup.js';
import { sumSamples, sumWireBytes } from './resultRow.js';
import { readKernelTcpBytes } from '../metrics/sockstat.js';
import { PUBLISH_SPIN_COUNTER } from '../ipc/server.js';
import { nowUs } from '../metrics/clock.js';

/**
 * Where in a model run the server is sampled without a GC: around the settle (its idle CPU), the
 * two edges of the measured window, and after the drain (`final`). Its memory is sampled apart,
 * fresh (`base`) and with every client connected and settled (`connected`): ServerMemory.
 */
export type SamplePoint = 'settle' | 'measureStart' | 'measureEnd' | 'final';

/** Samples after forced GC, repeated (how far they disagree bounds the memory figures: src/metrics/bounds.ts). */
export const MEMORY_SAMPLES = 3;

/**
 * The servers' memory at a point: the last of MEMORY_SAMPLES samples after forced GC as one server's
 * figures (with the kernel's TCP memory), and every sample per process. A server on another host
 * also says what CPU it used idle, every client connected, just before (`idle`): the runner cannot
 * sample it around its own settle.
 */
export interface ServerMemory {
  server: ServerFigures;
  serverRepeats: ResourceSample[][];
  idle?: { cpuUs: number; durationUs: number };
}

/** The publishing window in the server's clock, and how to read it in this process's (server = here + offsetUs). */
export interface PublishingWindow extends WindowUs {
  offsetUs: number;
}

/** A worker's clients and their starting cursors, for the expected counts. */
export interface WorkerCursors {
  queries: ExpectedQuery[];
  firstClientId: number;
  stride?: number;
}

/**
 * The server side of one model run as its phases (src/runner/runModel.ts) see it: the processes
 * this runner forked (LocalServers), or a server on another host driven through its control API
 * (src/runner/remote/remoteServers.ts). The phases are the same either way.
 */
export interface Servers {
  /** Where the clients connect: a host, and each server process's ports. */
  readonly host: string;
  readonly ports: Ports[];
  /** The processes, for scenario faults; empty for a server this runner did not start. */
  readonly members: ServerMember[];
  /** A server on another host: its clock endpoint, for the workers' offset estimates. */
  readonly clock: { url: string; token: string } | undefined;
  sample(point: SamplePoint, gc: boolean): Promise<ServerFigures>;
  memory(point: 'base' | 'connected'): Promise<ServerMemory>;
  /** Each process's publisher lateness and handoff in the window, once publishing has stopped. */
  publishTimes(): Promise<PublishTimes>;
  /** Publishing starts (broadcast); resolves with the window. */
  release(s: Scenario): Promise<PublishingWindow>;
  /** The log head once publishing has stopped at untilUs. */
  stopPublishing(untilUs: number): Promise<number>;
  burst(count: number, payloadBytes: number): Promise<number>;
  head(): Promise<number>;
  /** Expected counts per client of each worker; with chat, what each address is owed over every sender. */
  expected(
    workers: WorkerCursors[],
    upToSeq: number,
    sentByInbox?: Record<string, number>,
  ): Promise<{ counts: number[][]; owedByInbox?: Record<string, number> }>;
  usage(): ProcessUsage[];
  sampleSurvivors(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Several server processes' samples as one server's: sums of memory, CPU, sockets, bytes and counters. */
export function combined(samples: ServerSample[]): ServerFigures {
  const counter = (name: string) => samples.reduce((a, x) => a + (x.counters[name] ?? 0), 0);
  return {
    sample: sumSamples(samples.map((x) => x.sample)),
    wireBytes: sumWireBytes(samples.map((x) => x.wireBytes)),
    heartbeatBytes: counter('heartbeatBytes'),
    deadPeers: counter('heartbeatTimeouts'),
    slowReaderCuts: counter('slowReaderCuts'),
    ...(samples.some((x) => x.counters[PUBLISH_SPIN_COUNTER] !== undefined) ? { publishSpinUs: counter(PUBLISH_SPIN_COUNTER) } : {}),
    peakRssBytes: samples.reduce((a, x) => a + x.peakRssBytes, 0),
    counters: sumCounters(samples.map((x) => x.counters)),
  };
}

function sumCounters(all: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of all) for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Publishing starts this long after it is asked for, so the first scheduled message is not already late. */
const LOCAL_LEAD_US = 20_000;

/** The server processes this runner forked, on this host: one clock, asked over IPC. */
export class LocalServers implements Servers {
  readonly clock = undefined;

  constructor(
    readonly group: ServerGroup,
    readonly host = '127.0.0.1',
  ) {}

  static async start(s: Scenario, modelId: ModelId, signal?: AbortSignal, at: ServerListening = {}): Promise<LocalServers> {
    return new LocalServers(await ServerGroup.start(s, modelId, signal, at), at.host);
  }

  get ports(): Ports[] {
    return this.group.ports;
  }

  get members(): ServerMember[] {
    return this.group.members;
  }

  async sample(_point: SamplePoint, gc: boolean): Promise<ServerFigures> {
    return combined(await this.group.sample(gc));
  }

  /** Sampled now; with the kernel's TCP memory, host-wide, where the clients are not yet or all connected. */
  async memory(_point: 'base' | 'connected'): Promise<ServerMemory> {
    const serverRepeats: ResourceSample[][] = [];
    let last: ServerSample[] = [];
    for (let i = 0; i < MEMORY_SAMPLES; i++) {
      last = await this.group.sample(true);
      last.forEach((x, p) => (serverRepeats[p] ??= []).push(x.sample));
    }
    const kernelBytes = readKernelTcpBytes();
    const server = combined(last);
    return { server: kernelBytes === undefined ? server : { ...server, kernelBytes }, serverRepeats };
  }

  publishTimes(): Promise<PublishTimes> {
    return this.group.publishTimes();
  }

  /** `leadUs`: from now to the first message. */
  async release(s: Scenario, leadUs = LOCAL_LEAD_US): Promise<PublishingWindow> {
    const t0Us = nowUs() + leadUs;
    const measureFromUs = t0Us + s.warmupMs * 1000;
    const w = { t0Us, measureFromUs, publishUntilUs: measureFromUs + s.durationMs * 1000, offsetUs: 0 };
    const { ratePerSec, payloadBytes } = s.workload;
    if (s.workload.pattern === 'broadcast') this.group.publish(ratePerSec, payloadBytes, w.t0Us, w.publishUntilUs, w.measureFromUs);
    return w;
  }

  stopPublishing(untilUs: number): Promise<number> {
    return this.group.stopPublishing(untilUs);
  }

  burst(count: number, payloadBytes: number): Promise<number> {
    return this.group.burst(count, payloadBytes);
  }

  head(): Promise<number> {
    return this.group.head();
  }

  async expected(workers: WorkerCursors[], upToSeq: number, sentByInbox?: Record<string, number>) {
    return { counts: await this.group.expected(workers, upToSeq), ...(sentByInbox ? { owedByInbox: sentByInbox } : {}) };
  }

  usage(): ProcessUsage[] {
    return this.group.usage();
  }

  sampleSurvivors(timeoutMs: number): Promise<void> {
    return this.group.sampleSurvivors(timeoutMs);
  }

  stop(): Promise<void> {
    return this.group.stop();
  }
}
