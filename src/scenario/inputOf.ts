import type { Fault, ResolvedScenario, ScenarioInput } from './schema.js';
import { modelSections } from '../models/index.js';
import { formatBytesExact, formatDurationExact, formatRateExact } from '../util/unitText.js';
import { intermediaryInput, tlsInput } from './network.js';

/**
 * A resolved scenario (one matrix point, as the result JSON records it) written back as a scenario
 * file would say it, with units: running it again reproduces the point. `connbench validate
 * --resolved` prints it, so a user sees every default a file left out. Pure.
 */
export function inputOf(s: ResolvedScenario): ScenarioInput {
  return {
    name: s.name,
    description: s.description,
    models: [...s.models],
    clients: s.clients,
    ...(s.connectRatePerSec !== null ? { connectRate: formatRateExact(s.connectRatePerSec) } : { rampUp: formatDurationExact(s.rampUpMs) }),
    warmup: formatDurationExact(s.warmupMs),
    duration: formatDurationExact(s.durationMs),
    drainTimeout: formatDurationExact(s.drainTimeoutMs),
    workload: {
      pattern: s.workload.pattern,
      rate: formatRateExact(s.workload.ratePerSec),
      payload: formatBytesExact(s.workload.payloadBytes),
      roomSize: s.workload.roomSize,
      burst: s.workload.burst,
    },
    churn: formatRateExact(s.churnPerSec),
    actions: s.actions.map((a) => ({ action: a.action, at: formatDurationExact(a.atMs) })),
    ...Object.fromEntries(modelSections().map(({ section }) => [section.key, section.input(s[section.key])])),
    heartbeat: { interval: formatDurationExact(s.heartbeat.intervalMs), timeout: formatDurationExact(s.heartbeat.timeoutMs) },
    tls: tlsInput(s.tls) as ScenarioInput['tls'],
    intermediary: intermediaryInput(s.intermediary) as ScenarioInput['intermediary'],
    server: {
      retention: s.server.retention,
      processes: s.server.processes,
      slowReaderQueue: formatBytesExact(s.server.slowReaderQueueBytes),
      stallTimeout: formatDurationExact(s.server.stallTimeoutMs),
    },
    client: {
      workers: s.client.workers,
      sourceAddresses: s.client.sourceAddresses,
      busyPoll: s.client.busyPoll,
      resume: s.client.resume,
      reconnect: {
        minDelay: formatDurationExact(s.client.reconnect.minDelayMs),
        maxDelay: formatDurationExact(s.client.reconnect.maxDelayMs),
      },
    },
    thresholds: { ...s.thresholds },
    faults: s.faults.map(faultInputOf),
  };
}

function faultInputOf(f: Fault): NonNullable<ScenarioInput['faults']>[number] {
  const at = formatDurationExact(f.atMs);
  switch (f.fault) {
    case 'drop':
      return { fault: f.fault, at, fraction: f.fraction };
    case 'stall':
      return { fault: f.fault, at, for: formatDurationExact(f.forMs) };
    case 'restart':
      return { fault: f.fault, at };
    case 'latency':
      return {
        fault: f.fault,
        at,
        latency: formatDurationExact(f.latencyMs),
        jitter: formatDurationExact(f.jitterMs),
        for: formatDurationExact(f.forMs),
      };
  }
}
