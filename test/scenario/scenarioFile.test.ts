import { describe, expect, it } from 'vitest';
import { nestingDepth, scenarioMapping, scenarioText } from '../../src/scenario/scenarioFile.js';
import { ConnbenchError } from '../../src/util/errors.js';

const refusal = (f: () => unknown): ConnbenchError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConnbenchError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
};

describe('nestingDepth', () => {
  it.each([
    ['name: x\nclients: 10\n', 0],
    ['models: [sse, tcp]\n', 1],
    ['a: { b: [1, { c: [2] }] }\n', 4],
    ['- - - x\n', 3],
    ['actions:\n  - action: reconnect-storm\n    at: 5s\n', 1],
    ['description: "[[[[ in quotes ]]]]"\n', 0],
    ["description: 'don''t [['\n", 0],
    ['# [[[[[ a comment\nname: x\n', 0],
    ['x: [' + '['.repeat(99) + ']'.repeat(100) + '\n', 100],
  ])('%j nests %i deep', (text, depth) => {
    expect(nestingDepth(text)).toBe(depth);
  });
});

describe('scenarioText and scenarioMapping', () => {
  it('text must be UTF-8 without NUL bytes', () => {
    expect(scenarioText(Buffer.from('name: é\n'), 'a.yaml')).toBe('name: é\n');
    expect(refusal(() => scenarioText(Buffer.from([0x6e, 0x00, 0x6d]), 'a.yaml')).message).toBe(
      'a.yaml is not a scenario: it holds NUL bytes, so it is a binary file, not YAML or JSON text',
    );
    expect(refusal(() => scenarioText(Buffer.from([0x6e, 0xc3, 0x28]), 'a.yaml')).message).toContain('its bytes are not UTF-8 text');
  });

  it('the document must be a mapping; each refusal names what it is instead', () => {
    expect(scenarioMapping({ name: 'x' }, 'a.yaml')).toEqual({ name: 'x' });
    expect(refusal(() => scenarioMapping(null, 'a.yaml'))).toMatchObject({
      code: 'CB_ERR_SCENARIO_INVALID',
      message: 'a.yaml is empty: a scenario is a mapping of fields',
    });
    expect(refusal(() => scenarioMapping('just a string', 'a.yaml')).message).toBe(
      'a.yaml is not a scenario: its top level is a string ("just a string"), not a mapping of fields',
    );
    expect(refusal(() => scenarioMapping([1, 2], 'a.yaml')).message).toContain('its top level is a list');
    expect(refusal(() => scenarioMapping(42, 'a.yaml')).message).toContain('its top level is a number (42)');
  });
});
