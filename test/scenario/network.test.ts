import { describe, expect, it } from 'vitest';
import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix, modelRuns } from '../../src/scenario/matrix.js';
import { inputOf } from '../../src/scenario/inputOf.js';
import { ConnbenchError } from '../../src/util/errors.js';

const points = (raw: unknown) => expandMatrix(validateScenario(raw, 't.yaml'));
const problems = (raw: unknown): string => {
  try {
    validateScenario(raw, 't.yaml');
  } catch (err) {
    return (err as ConnbenchError).message;
  }
  throw new Error('no problem found');
};

describe('tls and intermediary in a scenario', () => {
  it('default to plain and direct; `tls: on` and `intermediary: nginx` are shorthands of their sections', () => {
    const [plain] = points({});
    expect(plain!.tls).toEqual({ enabled: false, resumption: true, certFile: null, keyFile: null, caFile: null });
    expect(plain!.intermediary).toMatchObject({ proxy: 'none', buffering: true, idleTimeoutMs: 3_600_000, via: null });
    const [short] = points({ tls: 'on', intermediary: 'nginx' });
    expect(short!.tls.enabled).toBe(true);
    expect(short!.intermediary.proxy).toBe('nginx');
    const [long] = points({ tls: { enabled: true, resumption: 'off' }, intermediary: { proxy: 'haproxy', idleTimeout: '90s' } });
    expect(long!.tls).toMatchObject({ enabled: true, resumption: false });
    expect(long!.intermediary).toMatchObject({ proxy: 'haproxy', idleTimeoutMs: 90_000 });
  });

  it('a list is a matrix axis, and an axis is left out where it means nothing (no buffering without nginx, no resumption without TLS)', () => {
    expect(points({ tls: ['off', 'on'] }).map((p) => p.matrix)).toEqual([{ 'tls.enabled': 'off' }, { 'tls.enabled': 'on' }]);
    const tls = points({ tls: { enabled: ['off', 'on'], resumption: ['on', 'off'] } });
    expect(tls.map((p) => p.matrix)).toEqual([
      { 'tls.enabled': 'off' },
      { 'tls.enabled': 'on', 'tls.resumption': 'on' },
      { 'tls.enabled': 'on', 'tls.resumption': 'off' },
    ]);
    const proxied = points({ intermediary: { proxy: ['none', 'nginx', 'haproxy'], buffering: ['off', 'on'] } });
    expect(proxied.map((p) => p.matrix)).toEqual([
      { 'intermediary.proxy': 'none' },
      { 'intermediary.proxy': 'nginx', 'intermediary.buffering': 'off' },
      { 'intermediary.proxy': 'nginx', 'intermediary.buffering': 'on' },
      { 'intermediary.proxy': 'haproxy' },
    ]);
  });

  it('runs a model once per value of what it reads: other models\u2019 keep-alive axes do not repeat it', () => {
    const ps = points({
      models: ['short-poll', 'long-poll', 'sse'],
      shortPoll: { keepAlive: ['on', 'off'] },
      longPoll: { keepAlive: ['on', 'off'] },
      tls: ['off', 'on'],
    });
    expect(ps).toHaveLength(8);
    const runs = modelRuns(ps).map((r) => `${r.model} ${JSON.stringify(r.point.matrix)}`);
    // short-poll and long-poll: 2 keep-alive × 2 tls each; sse: 2 tls.
    expect(runs).toHaveLength(4 + 4 + 2);
    expect(new Set(runs).size).toBe(runs.length);
    expect(runs.filter((r) => r.startsWith('sse'))).toEqual(['sse {"tls.enabled":"off"}', 'sse {"tls.enabled":"on"}']);
    expect(runs.filter((r) => r.startsWith('short-poll'))).toEqual([
      'short-poll {"shortPoll.keepAlive":"on","tls.enabled":"off"}',
      'short-poll {"shortPoll.keepAlive":"on","tls.enabled":"on"}',
      'short-poll {"shortPoll.keepAlive":"off","tls.enabled":"off"}',
      'short-poll {"shortPoll.keepAlive":"off","tls.enabled":"on"}',
    ]);
  });

  it('writes every point back as a file would say it, and reads it again to the same point', () => {
    const raw = {
      tls: { enabled: ['off', 'on'], resumption: 'off', cert: '/c.pem', key: '/k.pem', ca: '/ca.pem' },
      intermediary: { proxy: ['none', 'nginx'], buffering: 'off', idleTimeout: '2m' },
      shortPoll: { keepAlive: 'off' },
    };
    for (const p of points(raw)) {
      const [again] = points(inputOf(p));
      const { matrix: _a, ...x } = p;
      const { matrix: _b, ...y } = again!;
      expect(y).toEqual(x);
    }
  });

  it('names what is wrong: a typo, half a certificate, a via that cannot work', () => {
    expect(problems({ tls: 'maybe' })).toContain('tls: Invalid option: expected one of "on"|"off"');
    expect(problems({ tls: { enabld: 'on' } })).toContain('tls.enabld: unknown key, did you mean "enabled"?');
    expect(problems({ tls: { cert: 'c.pem' } })).toContain('tls.key: give cert and key together');
    expect(problems({ intermediary: 'apache' })).toContain('intermediary: Invalid option: expected one of "none"|"nginx"|"haproxy"');
    expect(problems({ models: ['sse'], intermediary: { via: 'ftp://x' } })).toContain('via must be http:// or https://');
    expect(problems({ models: ['sse'], intermediary: { via: 'https://127.0.0.1:9443' } })).toContain(
      'an https via needs tls.enabled: on and tls.ca',
    );
    expect(problems({ intermediary: { via: 'http://127.0.0.1:9000' } })).toContain('the tcp model needs viaTcp');
    expect(problems({ models: ['tcp'], intermediary: { via: 'http://127.0.0.1:9000', viaTcp: '10.0.0.1:9001' } })).toContain(
      'viaTcp must be on the host of via',
    );
    expect(problems({ models: ['sse'], intermediary: { via: 'http://127.0.0.1:9000', proxy: 'nginx' } })).toContain(
      'give via or proxy, not both',
    );
  });
});
