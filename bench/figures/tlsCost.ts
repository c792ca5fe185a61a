import { runModel } from '../../dist/runner/runModel.js';
import { planRun } from '../../dist/runner/plan.js';
import { prepareNetwork } from '../../dist/runner/network.js';
import { openFilesLimit } from '../../dist/metrics/limits.js';
import { formatInt } from '../../dist/util/units.js';
import type { ModelId } from '../../dist/models/types.js';
import type { ModelResult } from '../../dist/report/result.js';
import type { Scenario } from '../../dist/scenario/schema.js';
import { idleMemoryScenario } from '../scenario.js';
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
  const scenarioOf = (model: ModelId, tls: 'on' | 'off') => idleMemoryScenario(model, size, { tls });
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
    const sides = [
      {
        side: 'server',
        title: 'reference server RSS per idle TLS connection',
        bytesOf: (r: ModelResult) => r.server.rssPerConnectionBytes,
        floor: floor.serverBytes,
      },
      {
        side: 'client',
        title: 'simulated client RSS per TLS connection',
        bytesOf: (r: ModelResult) => r.client.rssPerClientBytes,
        floor: floor.clientBytes,
      },
    ];
    for (const { side, title, bytesOf, floor: floorBytes } of sides)
      figures.push(
        figure({
          id: `tls.${side}.rssPerConnection.${model}`,
          title: `${title}, ${model}`,
          unit: 'bytes/connection',
          // Not measured (null: no client connected) misses the goal.
          measured: bytesOf(tlsRow) ?? NaN,
          floor: floorBytes,
          floorName: `bare tls ${side}`,
          goal: { op: '<=', ratio: GOALS[model] ?? 2 },
          details: { ...details, plainBytes: bytesOf(plainRow) ?? 'n/a' },
          explain: {
            why: plainWhy(side, bytesOf(plainRow)),
            docs: 'TLS cost per connection',
          },
        }),
      );
  }
  return figures;
}

function runOne(s: Scenario, model: ModelId, network: Awaited<ReturnType<typeof prepareNetwork>>) {
  return runModel(s, model, planRun(s, { openFilesLimit: openFilesLimit() }), [], undefined, { network });
}

/** What the same side took without TLS, the figure's own peer inside connbench. */
function plainWhy(side: string, plainBytes: number | null | undefined): string {
  return plainBytes === null || plainBytes === undefined
    ? `the same ${side} without TLS was not measured`
    : `the same ${side} took ${formatInt(plainBytes)} B a connection without TLS`;
}
