import { mkdtempSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { haproxyConfig, nginxConfig, nginxWorkerConnections, type IntermediaryConfigInput } from '../../src/proxy/intermediaryConfig.js';
import { findExecutable, nginxStreamSupport, proxyBinary } from '../../src/runner/binaries.js';
import { exitCodeOf } from '../../src/cli/exitCodes.js';
import type { ConnbenchError } from '../../src/util/errors.js';

const input = (dir: string, o: Partial<IntermediaryConfigInput> = {}): IntermediaryConfigInput => ({
  dir,
  routes: [
    { upstream: { http: 40001, tcp: 40002 }, front: { http: 40101, tcp: 40102 } },
    { upstream: { http: 40003, tcp: 40004 }, front: { http: 40103, tcp: 40104 } },
  ],
  buffering: false,
  idleTimeoutS: 3600,
  connections: 1000,
  asRoot: false,
  ...o,
});

describe('the intermediaries’ configs', () => {
  it('nginx: a server per server process, the knobs as asked, room for every connection', () => {
    const text = nginxConfig(input('/tmp/x', { buffering: true, streamModule: '/usr/lib/nginx/modules/ngx_stream_module.so' }));
    expect(text).toContain('load_module /usr/lib/nginx/modules/ngx_stream_module.so;');
    expect(text).toContain('proxy_buffering on;');
    expect(text).toContain('proxy_read_timeout 3600s;');
    expect(text).toContain('proxy_http_version 1.1;');
    expect(text.match(/listen 127\.0\.0\.1:401\d\d;/g)).toHaveLength(4);
    expect(text).toContain(`worker_connections ${nginxWorkerConnections(1000)};`);
    // Two sockets per connection, and nginx starts closing connections with a sixteenth left.
    expect(nginxWorkerConnections(1000) * (15 / 16)).toBeGreaterThan(2 * 1000);
    expect(text).not.toContain('ssl');
    expect(nginxConfig(input('/tmp/x', { asRoot: true }))).toContain('user root root;');
  });

  it('terminates TLS where asked: nginx on both blocks (zones of their own), HAProxy on every bind; HAProxy never holds an SSE event back', () => {
    const tls = { certFile: '/d/server.crt', keyFile: '/d/server.key', pemFile: '/d/server.pem' };
    const n = nginxConfig(input('/d', { tls }));
    expect(n.match(/listen 127\.0\.0\.1:\d+ ssl;/g)).toHaveLength(4);
    expect(n).toContain('shared:CBHTTP:10m');
    expect(n).toContain('shared:CBSTREAM:10m');
    const h = haproxyConfig(input('/d', { tls }));
    expect(h.match(/ssl crt \/d\/server\.pem/g)).toHaveLength(4);
    expect(h.match(/option http-no-delay/g)).toHaveLength(2);
    expect(h).toContain('maxconn 2064');
  });

  it('both pass the binaries’ own checks (nginx -t, haproxy -c)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'connbench-conf-'));
    const nginx = proxyBinary('nginx', true);
    const nginxFile = path.join(dir, 'nginx.conf');
    writeFileSync(
      nginxFile,
      nginxConfig(input(dir, { ...(nginx.streamModule ? { streamModule: nginx.streamModule } : {}), asRoot: process.geteuid?.() === 0 })),
    );
    const n = spawnSync(nginx.file, ['-t', '-q', '-p', dir, '-c', nginxFile, '-e', path.join(dir, 'error.log')], { encoding: 'utf8' });
    expect(n.status, n.stderr).toBe(0);
    const haproxy = proxyBinary('haproxy', true);
    const haproxyFile = path.join(dir, 'haproxy.cfg');
    writeFileSync(haproxyFile, haproxyConfig(input(dir)));
    const h = spawnSync(haproxy.file, ['-c', '-q', '-f', haproxyFile], { encoding: 'utf8' });
    expect(h.status, h.stderr).toBe(0);
  });
});

describe('finding the binaries', () => {
  it('a missing one is exit 3 naming the Debian package', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'connbench-nobin-'));
    expect(findExecutable('nginx', [empty])).toBe(undefined);
    for (const [kind, pkg] of [
      ['nginx', 'nginx libnginx-mod-stream'],
      ['haproxy', 'haproxy'],
    ] as const) {
      let err: ConnbenchError | undefined;
      try {
        proxyBinary(kind, true, [empty]);
      } catch (e) {
        err = e as ConnbenchError;
      }
      expect(err?.code).toBe('CB_ERR_PROXY_MISSING');
      expect(exitCodeOf(err)).toBe(3);
      expect(err?.message).toContain(`${kind} is not installed`);
      expect(err?.hint).toContain(`apt-get install ${pkg}`);
    }
  });

  it("reads nginx's stream module from nginx -V: built in, dynamic at its modules path, or missing", () => {
    expect(nginxStreamSupport('configure arguments: --with-stream --with-http_ssl_module')).toEqual({ builtIn: true });
    expect(nginxStreamSupport('--modules-path=/usr/lib/nginx/modules --with-stream=dynamic')).toEqual({
      builtIn: false,
      modulePath: '/usr/lib/nginx/modules/ngx_stream_module.so',
    });
    expect(nginxStreamSupport('--with-http_ssl_module')).toBe(undefined);
  });
});
