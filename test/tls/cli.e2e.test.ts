import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { makeThrowawayCertificates, type CertificateSet } from '../../src/runner/certificates.js';

const dir = mkdtempSync(path.join(tmpdir(), 'connbench-tls-cli-'));
let mine: CertificateSet;
let other: CertificateSet;

const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

beforeAll(async () => {
  [mine, other] = await Promise.all([makeThrowawayCertificates(), makeThrowawayCertificates()]);
});

describe('run with your own certificate files', () => {
  it('refuses unreadable or mismatched files before anything runs: exit 2 naming the file', () => {
    const cert = write('cert.pem', mine.certPem);
    const key = write('key.pem', mine.keyPem);
    const ca = write('ca.pem', mine.caPem);
    const otherKey = write('other-key.pem', other.keyPem);
    const otherCa = write('other-ca.pem', other.caPem);
    const missing = path.join(dir, 'missing.pem');
    const cases: [string[], string, string][] = [
      [['--tls-cert', missing, '--tls-key', key], 'CB_ERR_TLS_FILE', `${missing} (tls.cert) cannot be read`],
      [
        ['--tls-cert', cert, '--tls-key', otherKey, '--tls-ca', ca],
        'CB_ERR_TLS_MISMATCH',
        `${otherKey} (tls.key) is not the key of the certificate in ${cert}`,
      ],
      [
        ['--tls-cert', cert, '--tls-key', key, '--tls-ca', otherCa],
        'CB_ERR_TLS_MISMATCH',
        `${cert} (tls.cert) is not signed by the CA in ${otherCa}`,
      ],
      [['--tls-cert', key, '--tls-key', key], 'CB_ERR_TLS_FILE', `${key} (tls.cert) holds no certificate`],
    ];
    for (const [flags, code, message] of cases) {
      const started = Date.now();
      const r = runCli(
        ['run', '--models', 'tcp', '--clients', '2', '--tls', 'on', ...flags, '--out', path.join(dir, 'never.json')],
        30_000,
      );
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain(`(${code})`);
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });

  it('runs over them when they fit: the clients trust your CA', () => {
    const out = path.join(dir, 'own.json');
    const args = ['run', '--models', 'tcp,websocket', '--clients', '2', '--duration', '300ms', '--tls', 'on'];
    const files = [
      '--tls-cert',
      write('c.pem', mine.certPem),
      '--tls-key',
      write('k.pem', mine.keyPem),
      '--tls-ca',
      write('a.pem', mine.caPem),
    ];
    const r = runCli([...args, ...files, '--out', out, '--quiet'], 90_000);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      models: { messages: { lost: number; expected: number }; tls: { enabled: boolean } }[];
    };
    for (const m of result.models) {
      expect(m.tls.enabled).toBe(true);
      expect(m.messages.expected).toBeGreaterThan(0);
      expect(m.messages.lost).toBe(0);
    }
  }, 120_000);
});

describe('serve --tls', () => {
  it('writes its CA to a file, prints how to use it with curl --cacert, and serves HTTPS only to clients that trust it', async () => {
    const caOut = path.join(dir, 'serve-ca.pem');
    const serve = spawn(process.execPath, [BIN, 'serve', '--tls', '--port', '0', '--tcp-port', '0', '--rate', '5/s', '--ca-out', caOut], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      serve.stdout.on('data', (d: Buffer) => void (out += d.toString()));
      const deadline = Date.now() + 20_000;
      while (!out.includes('Ctrl-C to stop.') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain(`TLS: clients verify the server against ${caOut}`);
      expect(out).toMatch(/curl --cacert \S*serve-ca\.pem 'https:\/\/127\.0\.0\.1:\d+\/poll\?cursor=0'/);
      expect(out).toMatch(/websocket +GET +wss:\/\/127\.0\.0\.1:\d+\/ws/);
      const url = /'(https:\/\/127\.0\.0\.1:\d+\/poll\?cursor=0)'/.exec(out)![1]!;
      const trusting = new Agent({ connect: { ca: readFileSync(caOut, 'utf8') } });
      const res = await request(url, { dispatcher: trusting });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(await res.body.text())).toHaveProperty('cursor');
      await trusting.close();
      const stranger = new Agent({ connect: { ca: other.caPem } });
      await expect(request(url, { dispatcher: stranger })).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      await stranger.close();
    } finally {
      serve.kill('SIGINT');
      await new Promise((r) => serve.once('exit', r));
    }
  }, 60_000);
});

describe('TLS and intermediaries with a server on another host', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, CONNBENCH_TOKEN: 'a-token-of-sixteen-or-more' },
    });

  it('run --target refuses --tls, --intermediary and --via before it reaches the server: exit 2 with a hint', () => {
    // Nothing listens on port 9: a refusal that came from the server would be a connection error, exit 3.
    const target = ['run', '--models', 'sse', '--clients', '2', '--target', 'http://127.0.0.1:9', '--shard', '0/2'];
    const cases: [string[], string][] = [
      [['--tls', 'on'], 'the scenario asks for TLS (tls.enabled)'],
      [['--intermediary', 'nginx'], 'an intermediary (intermediary.proxy nginx)'],
      [['--via', 'http://127.0.0.1:9000'], 'your own intermediary (intermediary.via)'],
    ];
    for (const [flags, what] of cases) {
      const r = cli([...target, ...flags, '--out', path.join(dir, 'never-shard.json')]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(what);
      expect(r.stderr).toContain('(CB_ERR_SCENARIO_INVALID)');
      expect(r.stderr).toContain('without --target, on one machine');
    }
  });

  it('serve --control refuses --tls: its server processes speak plain TCP', () => {
    const r = cli(['serve', '--control', '--port', '0', '--tls']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('with --control the server processes speak plain TCP');
    expect(r.stderr).toContain('(CB_ERR_BAD_FLAG)');
  });
});
