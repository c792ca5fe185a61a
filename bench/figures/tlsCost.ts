import { runModel } from '../../dist/runner/runModel.js';
import { planRun } from '../../dist/runner/plan.js';
import { prepareNetwork } from '../../dist/runner/network.js';
import { openFilesLimit } from '../../dist/metrics/limits.js';
import type { ModelId } from '../../dist/models/types.js';
import { benchScenario, QUIET_HEARTBEAT } from '../scenario.js';
import { figure, type Figure } from '../figure.js';
import { netFloorMemory } from './memory.js';

export interface TlsSize {
  connections: number;
  rampUpMs: number;
}

export const TLS_MODELS: ModelId[] = ['tcp', 'websocket', 'sse'];

/** Issue 13's goals for a TLS connection against bare `tls`: the tcp model adds framing only, websocket and SSE an HTTP layer. */
const GOALS: Partial<Record<ModelId, number>> = { tcp: 1.5, websocket: 2, sse: 2 };

/**
 * Memory per idle TLS connection of the reference server and the simulated clients, from the
 * runner's own memory phase over TLS (the run's throwaway CA, session resumption on), against a
 * bare `tls` server and client holding as many TLS connections, with the same certificate,
 * sampled the same way in the same run. Each plain figure of the same model is in the details,
 * so the TLS share of the cost can be read too.
 */
export async function tlsFigures(size: TlsSize, models: ModelId[] = TLS_MODELS): Promise<Figure[]> {
  const scenarioOf = (model: ModelId, tls: 'on' | 'off') =>
    benchScenario({
      models: [model],
      clients: size.connections,
      rampUp: `${size.rampUpMs}ms`,
      warmup: '0s',
      duration: '100ms',
      drainTimeout: '5s',
      workload: { pattern: 'idle' },
      heartbeat: QUIET_HEARTBEAT,
      tls,
    });
  const network = await prepareNetwork([scenarioOf(models[0]!, 'on')]);
  const certificates = network.certificates!;
  const floor = await netFloorMemory(size.connections, certificates);
  const figures: Figure[] = [];
  for (const model of models) {
    const tlsRow = await runOne(scenarioOf(model, 'on'), model, network);
    const plainRow = await runOne(scenarioOf(model, 'off'), model, network);
    const details = {
      status: tlsRow.status,
      connected: tlsRow.clients.connected,
      target: tlsRow.clients.target,
      handshakes: tlsRow.tls.handshakes,
      protocol: tlsRow.tls.protocol ?? '',
      ...(tlsRow.error ? { error: `${tlsRow.error.code}: ${tlsRow.error.message}` } : {}),
    };
    const goal = { op: '<=' as const, ratio: GOALS[model] ?? 2 };
    figures.push(
      figure({
        id: `tls.server.rssPerConnection.${model}`,
        title: `reference server RSS per idle TLS connection, ${model}`,
        unit: 'bytes/connection',
        // Not measured (null: no client connected) misses the goal.
        measured: tlsRow.server.rssPerConnectionBytes ?? NaN,
        floor: floor.serverBytes,
        floorName: 'bare tls server',
        goal,
        details: { ...details, plainBytes: plainRow.server.rssPerConnectionBytes ?? 'n/a' },
      }),
      figure({
        id: `tls.client.rssPerConnection.${model}`,
        title: `simulated client RSS per TLS connection, ${model}`,
        unit: 'bytes/connection',
        measured: tlsRow.client.rssPerClientBytes ?? NaN,
        floor: floor.clientBytes,
        floorName: 'bare tls client',
        goal,
        details: { ...details, plainBytes: plainRow.client.rssPerClientBytes ?? 'n/a' },
      }),
    );
  }
  return figures;
}

function runOne(s: ReturnType<typeof benchScenario>, model: ModelId, network: Awaited<ReturnType<typeof prepareNetwork>>) {
  return runModel(s, model, planRun(s, { openFilesLimit: openFilesLimit() }), [], undefined, { network });
}
