import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { inputOf } from '../../src/scenario/inputOf.js';
import { scenarioJsonSchema } from '../../src/cli/schema.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';

/** The problems validation names, one line each ("path: message"). */
function problems(input: ScenarioInput): string[] {
  try {
    validateScenario(input);
    return [];
  } catch (err) {
    return (err as Error).message
      .split('\n')
      .slice(1)
      .map((l) => l.replace(/^\s+- /, ''));
  }
}

// warmup 2 s + duration 10 s: faults must fall (and end) within the first 12 s of publishing.
describe('faults in the scenario schema', () => {
  it('resolves every kind with units, in time order', () => {
    const [p] = expandMatrix(
      validateScenario({
        faults: [
          { fault: 'latency', at: '6s', latency: '100ms', for: '2s' },
          { fault: 'drop', at: '1s', fraction: 0.25 },
          { fault: 'restart', at: '4s' },
          { fault: 'stall', at: '2s', for: '1500ms' },
        ],
      }),
    );
    expect(p!.faults).toEqual([
      { fault: 'drop', atMs: 1000, fraction: 0.25 },
      { fault: 'stall', atMs: 2000, forMs: 1500 },
      { fault: 'restart', atMs: 4000 },
      { fault: 'latency', atMs: 6000, latencyMs: 100, jitterMs: 0, forMs: 2000 },
    ]);
    // Written back with units, it reads the same.
    expect(expandMatrix(validateScenario(inputOf(p!)))[0]!.faults).toEqual(p!.faults);
  });

  it('names every problem at once, with its path and a did-you-mean', () => {
    expect(
      problems({
        faults: [
          { fault: 'stal', at: '1s', for: '1s' },
          { fault: 'drop', at: '2s', fractoin: 0.5 } as never,
          { fault: 'drop', at: '3s', fraction: 1.5 },
          { fault: 'restart', at: '12s' },
          { fault: 'latency', at: '5s', latency: '10ms', for: '8s' },
          { fault: 'stall', at: '4s', jitter: '1ms' },
        ],
      }),
    ).toEqual([
      'faults.0.fault: unknown fault "stal", did you mean "stall"? (known: drop, stall, restart, latency)',
      'faults.1.fractoin: unknown key, did you mean "fraction"? (known: fault, at, fraction, for, latency, jitter)',
      'faults.1.fraction: a drop fault needs fraction',
      'faults.2.fraction: must be a fraction from 0 to 1, got 1.5',
      'faults.5.for: a stall fault needs for',
      'faults.5.jitter: a stall fault takes no jitter (it takes for)',
      'faults.4.for: the latency lasts until 13000 ms, past the end of warmup + duration (12000 ms)',
      'faults.3.at: 12000 ms is not before the end of warmup + duration (12000 ms)',
      'faults.3.at: starts at 12000 ms, while the latency at 5000 ms is under way (until 13000 ms); faults take turns',
    ]);
  });

  it('accepts fractions 0 and 1, and faults back to back; refuses two at once and faults with a reconnect storm', () => {
    expect(
      problems({
        faults: [
          { fault: 'drop', at: '1s', fraction: 0 },
          { fault: 'stall', at: '2s', for: '1s' },
          { fault: 'drop', at: '3s', fraction: 1 },
        ],
      }),
    ).toEqual([]);
    expect(
      problems({
        faults: [
          { fault: 'restart', at: '1s' },
          { fault: 'drop', at: '1s', fraction: 1 },
        ],
      }),
    ).toEqual(['faults.1.at: starts at 1000 ms, while the restart at 1000 ms is under way (until 1000 ms); faults take turns']);
    expect(problems({ faults: [{ fault: 'restart', at: '1s' }], actions: [{ action: 'reconnect-storm', at: '5s' }] })).toEqual([
      'faults: faults and a reconnect-storm measure recovery on the same clients: use one or the other in a scenario',
    ]);
  });

  it('client.resume is a matrix axis: one point per policy, named in the matrix', () => {
    const points = expandMatrix(validateScenario({ clients: [10, 20], client: { resume: ['cursor', 'none'] } }));
    expect(points.map((p) => [p.clients, p.client.resume, p.matrix])).toEqual([
      [10, 'cursor', { clients: 10, 'client.resume': 'cursor' }],
      [10, 'none', { clients: 10, 'client.resume': 'none' }],
      [20, 'cursor', { clients: 20, 'client.resume': 'cursor' }],
      [20, 'none', { clients: 20, 'client.resume': 'none' }],
    ]);
    expect(expandMatrix(validateScenario({}))[0]!.client.resume).toBe('cursor');
    expect(problems({ client: { resume: 'nope' as never } })).toEqual(['client.resume: Invalid option: expected one of "cursor"|"none"']);
  });

  it('the JSON Schema lists the fault kinds for editors', () => {
    const schema = scenarioJsonSchema() as { properties: { faults: { items: { properties: { fault: { enum: string[] } } } } } };
    expect(schema.properties.faults.items.properties.fault.enum).toEqual(['drop', 'stall', 'restart', 'latency']);
  });
});
