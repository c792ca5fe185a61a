import { accessSync, constants, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { runError } from '../util/errors.js';

/** An intermediary's binary as found on this machine. */
export interface ProxyBinary {
  kind: 'nginx' | 'haproxy';
  file: string;
  /** e.g. "nginx/1.22.1", "HAProxy 2.6.12". */
  version: string;
  /** nginx: the stream module to load_module (dynamic), or undefined when it is built in. */
  streamModule?: string;
}

/** Debian puts daemons in sbin, which is not on an ordinary user's PATH. */
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** The first executable `name` on PATH, then in the sbin folders; undefined when there is none. */
export function findExecutable(
  name: string,
  dirs: readonly string[] = [...(process.env.PATH ?? '').split(':'), ...SBIN_DIRS],
): string | undefined {
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** What `nginx -V` says about its stream module: built in, a dynamic module at a path, or none. Pure. */
export function nginxStreamSupport(configureText: string): { builtIn: boolean; modulePath?: string } | undefined {
  if (/--with-stream(\s|$)/.test(configureText)) return { builtIn: true };
  if (!/--with-stream=dynamic/.test(configureText)) return undefined;
  const modulesDir = /--modules-path=(\S+)/.exec(configureText)?.[1] ?? '/usr/lib/nginx/modules';
  return { builtIn: false, modulePath: path.join(modulesDir, 'ngx_stream_module.so') };
}

const missing = (what: string, pkg: string) =>
  runError(
    'CB_ERR_PROXY_MISSING',
    `${what} is not installed on this machine`,
    `install it (Debian/Ubuntu: sudo apt-get install ${pkg}), or run without this intermediary`,
  );

/**
 * The binary of an intermediary, with its version; a run error (exit 3) naming the Debian package
 * when it is missing, or when nginx lacks the stream module the tcp model needs.
 */
export function proxyBinary(kind: 'nginx' | 'haproxy', needsTcp: boolean, dirs?: readonly string[]): ProxyBinary {
  const file = findExecutable(kind, dirs);
  if (!file) throw missing(kind, kind === 'nginx' ? 'nginx libnginx-mod-stream' : 'haproxy');
  const out = spawnSync(file, kind === 'nginx' ? ['-V'] : ['-v'], { encoding: 'utf8', timeout: 10_000 });
  const text = `${out.stdout ?? ''}${out.stderr ?? ''}`;
  if (kind === 'haproxy') return { kind, file, version: `HAProxy ${/HAProxy version (\S+)/.exec(text)?.[1] ?? ''}`.trim() };
  const version = /nginx version: (\S+)/.exec(text)?.[1] ?? 'nginx';
  if (!needsTcp) return { kind, file, version };
  const stream = nginxStreamSupport(text);
  if (!stream || (stream.modulePath && !existsSync(stream.modulePath)))
    throw missing(
      `nginx's stream module (for the tcp model)${stream?.modulePath ? ` at ${stream.modulePath}` : ''}`,
      'libnginx-mod-stream',
    );
  return { kind, file, version, ...(stream.modulePath ? { streamModule: stream.modulePath } : {}) };
}
