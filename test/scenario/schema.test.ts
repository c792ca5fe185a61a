import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { scenarioJsonSchema } from '../../src/cli/schema.js';
import { UNIT_PATTERNS } from '../../src/util/zodUnits.js';
import { bundledNames, loadScenario, parseScenarioText, validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { inputOf } from '../../src/scenario/inputOf.js';
import { formatBytesExact, formatDurationExact, formatRateExact } from '../../src/util/unitText.js';
import { parseDurationMs, parseRatePerSec, parseSizeBytes } from '../../src/util/units.js';

const withoutMatrix = <T extends { matrix: unknown }>(p: T): Omit<T, 'matrix'> => {
  const { matrix: _m, ...rest } = p;
  return rest;
};

describe('scenario.schema.json', () => {
  it('is the committed copy of `connbench schema` (regenerate: node bin/connbench.js schema > scenario.schema.json)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../scenario.schema.json', import.meta.url), 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });

  it('checks units with the same grammar as the parsers, so an editor flags exactly what validate refuses', () => {
    const cases: [RegExp, (s: string) => number | undefined, fc.Arbitrary<string>][] = [
      [new RegExp(UNIT_PATTERNS.duration), parseDurationMs, fc.constantFrom('ms', 's', 'm', 'min', 'h', 'us', 'µs', '', 'sec', 'S', 'd')],
      [new RegExp(UNIT_PATTERNS.rate), parseRatePerSec, fc.constantFrom('/s', '/m', '/min', '/h', '/ms', '', '/sec', 'per s', '/S', '/d')],
      [
        new RegExp(UNIT_PATTERNS.size),
        parseSizeBytes,
        fc.constantFrom('B', 'b', 'KiB', 'kib', 'KB', 'MiB', 'GB', 'gib', '', 'KiBs', 'TB', 'k'),
      ],
    ];
    for (const [pattern, parse, suffix] of cases) {
      fc.assert(
        fc.property(
          fc.constantFrom('10', '1.5', '0', ' 7 ', 'ten', '-1', '.5', '1e3', ''),
          fc.constantFrom('', ' '),
          suffix,
          (num, gap, unit) => {
            const text = `${num}${gap}${unit}`;
            expect(pattern.test(text), text).toBe(parse(text) !== undefined);
          },
        ),
      );
    }
  });
});

describe('round trips', () => {
  it('every point of every bundled scenario, written back with units, parses to the same point', () => {
    for (const name of bundledNames()) {
      for (const point of loadScenario(name)) {
        const again = expandMatrix(validateScenario(inputOf(point), name));
        expect(again).toHaveLength(1);
        expect(withoutMatrix(again[0]!)).toEqual(withoutMatrix(point));
      }
    }
  });

  it('a scenario means the same in YAML and in JSON', () => {
    for (const name of bundledNames()) {
      const text = readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), 'utf8');
      const raw = parseScenarioText(text, `${name}.yaml`);
      const fromJson = parseScenarioText(JSON.stringify(raw), `${name}.json`);
      const fromYaml = parseScenarioText(stringify(raw), `${name}.yaml`);
      expect(expandMatrix(validateScenario(fromJson))).toEqual(expandMatrix(validateScenario(raw)));
      expect(fromYaml).toEqual(raw);
    }
  });

  it('units written back parse to the very same number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 3_600_000 }), (ms) => {
        expect(parseDurationMs(formatDurationExact(ms))).toBe(ms);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (b) => {
        expect(parseSizeBytes(formatBytesExact(b))).toBe(b);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(1, 60, 3600), (n, per) => {
        const perSec = n / per;
        expect(parseRatePerSec(formatRateExact(perSec))).toBeCloseTo(perSec, 9);
      }),
    );
    expect(formatDurationExact(1500)).toBe('1500ms');
    expect(formatDurationExact(120_000)).toBe('2m');
    expect(formatBytesExact(4096)).toBe('4KiB');
    expect(formatRateExact(0.5)).toBe('30/m');
  });

  it('defaults fill what a file leaves out, and the file can be almost empty', () => {
    const [s] = expandMatrix(validateScenario({}));
    expect(s).toMatchObject({
      clients: 1000,
      rampUpMs: 5000,
      connectRatePerSec: null,
      churnPerSec: 0,
      actions: [],
      workload: { pattern: 'broadcast', ratePerSec: 10, payloadBytes: 128, roomSize: 1, burst: 0 },
      shortPoll: { intervalMs: 1000 },
      longPoll: { holdMs: 20_000 },
      heartbeat: { intervalMs: 15_000, timeoutMs: 30_000 },
      server: { retention: 100_000 },
      client: { resume: 'cursor', reconnect: { minDelayMs: 50, maxDelayMs: 2000 } },
    });
  });

  it('a connect rate sets the ramp of each matrix point from its client count', () => {
    const points = expandMatrix(validateScenario({ clients: [100, 1000], connectRate: '500/s' }));
    expect(points.map((p) => [p.rampUpMs, p.connectRatePerSec])).toEqual([
      [200, 500],
      [2000, 500],
    ]);
  });
});
