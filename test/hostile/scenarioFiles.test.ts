import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli, expectRefused } from './cliInProcess.js';

/**
 * Scenario files a user should never have given connbench: each refused before anything runs,
 * exit 2, a message naming the file and what is wrong with it, a hint, no stack. `run` is given
 * each bad one too: a bad file never runs the default scenario. And `--out` where nothing can be
 * written is refused before the run starts.
 */

let dir: string;
const at = (name: string) => path.join(dir, name);

/** Deterministic bytes that are not text: a linear congruential generator, seeded. */
function noise(bytes: number, seed = 16): Buffer {
  const b = Buffer.alloc(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return b;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'connbench-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hostile scenario files', () => {
  const BAD: [string, string | Buffer, string][] = [
    ['string.yaml', 'just a string\n', 'CB_ERR_SCENARIO_INVALID'],
    ['list.yaml', '- 1\n- 2\n', 'CB_ERR_SCENARIO_INVALID'],
    ['number.yaml', '42\n', 'CB_ERR_SCENARIO_INVALID'],
    ['null.yaml', 'null\n', 'CB_ERR_SCENARIO_INVALID'],
    ['empty.yaml', '', 'CB_ERR_SCENARIO_INVALID'],
    ['comments.yaml', '# nothing but a comment\n', 'CB_ERR_SCENARIO_INVALID'],
    ['string.json', '"just a string"', 'CB_ERR_SCENARIO_INVALID'],
    ['binary.yaml', noise(2048), 'CB_ERR_SCENARIO_INVALID'],
    ['binary.json', noise(2048, 7), 'CB_ERR_SCENARIO_INVALID'],
    ['nul.yaml', Buffer.concat([Buffer.from('name: x\n'), Buffer.alloc(16), Buffer.from('\n')]), 'CB_ERR_SCENARIO_INVALID'],
    [
      'bomb.yaml',
      [
        'a: &a ["x","x","x","x","x","x","x","x","x"]',
        ...'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghij'[i]}`).join(',')}]`),
      ].join('\n') + '\n',
      'CB_ERR_SCENARIO_SYNTAX',
    ],
    ['deep.yaml', '['.repeat(200_000), 'CB_ERR_SCENARIO_SYNTAX'],
    ['deep.json', '['.repeat(200_000) + ']'.repeat(200_000), 'CB_ERR_SCENARIO_SYNTAX'],
    ['payload.yaml', 'workload: { payload: 10GiB }\n', 'CB_ERR_SCENARIO_INVALID'],
    ['duration.yaml', 'duration: 0s\n', 'CB_ERR_SCENARIO_INVALID'],
    ['clients.yaml', 'clients: 1e9\n', 'CB_ERR_SCENARIO_INVALID'],
    ['rate.yaml', 'workload: { rate: 1000000000 }\n', 'CB_ERR_SCENARIO_INVALID'],
    ['forever.yaml', 'duration: 1000h\n', 'CB_ERR_SCENARIO_INVALID'],
    ['retention.yaml', 'server: { retention: 1000000000000 }\n', 'CB_ERR_SCENARIO_INVALID'],
    ['burst.yaml', 'workload: { pattern: idle, burst: 1000000000000 }\n', 'CB_ERR_SCENARIO_INVALID'],
    ['chatpayload.yaml', 'workload: { pattern: chat, payload: 2MiB }\n', 'CB_ERR_SCENARIO_INVALID'],
    ['heartbeat.yaml', 'heartbeat: { interval: 1000h }\n', 'CB_ERR_SCENARIO_INVALID'],
  ];

  it.each(BAD)('%s: validate and run refuse it (%s), and run starts nothing', async (name, content, code) => {
    writeFileSync(at(name), content);
    for (const command of ['validate', 'run']) {
      const r = await cli([command, at(name), ...(command === 'run' ? ['--quiet', '--out', at('never.json')] : [])], 10_000);
      expectRefused(r, name, undefined, code);
    }
  });

  it('a 50 MB file is refused before it is read, and so is a file one byte over the limit', async () => {
    writeFileSync(at('huge.yaml'), Buffer.concat([Buffer.from('name: huge\n'), Buffer.alloc(50 * 1024 * 1024, 0x23)]));
    const t0 = performance.now();
    expectRefused(await cli(['validate', at('huge.yaml')]), 'huge.yaml', undefined, 'CB_ERR_SCENARIO_TOO_LARGE');
    expect(performance.now() - t0).toBeLessThan(2000);
    writeFileSync(at('over.yaml'), `name: over\n#${'x'.repeat(1024 * 1024 - 12)}\n`);
    expectRefused(await cli(['validate', at('over.yaml')]), 'over.yaml', undefined, 'CB_ERR_SCENARIO_TOO_LARGE');
  });

  it('a device that never ends (/dev/zero) is refused at the size limit', async () => {
    expectRefused(await cli(['validate', '/dev/zero']), '/dev/zero', undefined, 'CB_ERR_SCENARIO_TOO_LARGE');
  });

  it('a directory is refused as one', async () => {
    mkdirSync(at('a-dir'), { recursive: true });
    const r = await cli(['validate', at('a-dir')]);
    expectRefused(r, 'a-dir', undefined, 'CB_ERR_SCENARIO_READ');
    expect(r.stderr).toContain('is a directory');
  });

  it('--out, --html and --markdown where no file can be written: refused before anything starts', async () => {
    writeFileSync(at('a-file'), 'x');
    mkdirSync(at('out-dir'), { recursive: true });
    for (const out of [path.join(at('a-file'), 'r.json'), '/proc/connbench-r.json']) {
      expectRefused(await cli(['run', '--models', 'tcp', '--clients', '1', '--quiet', '--out', out]), '--out', out, 'CB_ERR_BAD_OUT');
      expectRefused(await cli(['heartbeat', '--idle-timeout', '10s', '--quiet', '--out', out]), '--out', out, 'CB_ERR_BAD_OUT');
    }
    for (const flag of ['--html', '--markdown'])
      expectRefused(await cli(['run', '--models', 'tcp', '--quiet', flag, at('out-dir')]), flag, at('out-dir'), 'CB_ERR_BAD_OUT');
    expectRefused(
      await cli(['report', 'results/baselines/ci-smoke.json', '--html', at('out-dir')]),
      '--html',
      at('out-dir'),
      'CB_ERR_BAD_OUT',
    );
  });

  it('several scenarios and one file for --out, --html or --markdown: refused before anything starts, as only the last would be kept', async () => {
    const out = at('both.json');
    const r = await cli(['run', 'default', 'chat-room', '--models', 'tcp', '--quiet', '--out', out]);
    expectRefused(r, '--out', out, 'CB_ERR_BAD_OUT');
    expect(r.stderr).toContain('2 scenarios would each write this one file');
    expect(r.stderr).toContain('--out results/');
    expect(existsSync(out)).toBe(false);
    for (const [flag, file] of [
      ['--html', at('both.html')],
      ['--markdown', at('both.md')],
    ] as const) {
      const h = await cli(['run', 'default', 'chat-room', '--models', 'tcp', '--quiet', flag, file]);
      expectRefused(h, flag, file, 'CB_ERR_BAD_OUT');
      expect(h.stderr).toContain('one at a time');
    }
  });
});
