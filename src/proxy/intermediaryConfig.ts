import type { Ports } from '../models/listeners.js';

/**
 * The config files of the intermediaries connbench runs in front of its servers (nginx, HAProxy).
 * Pure: text from settings; src/runner/intermediary.ts writes it, checks it and starts the binary.
 * docs/intermediaries.md explains each directive and what it does to each model.
 */
export interface IntermediaryConfigInput {
  /** The proxy's own folder: config, pid file, logs, temp files, certificate. */
  dir: string;
  /** One per server process: where it listens (upstream) and where the proxy listens for it (front), by listener kind. */
  routes: { upstream: Ports; front: Ports }[];
  /** TLS terminated at the proxy: the certificate and key files (HAProxy's one file holds both). */
  tls?: { certFile: string; keyFile: string; pemFile: string };
  /** nginx proxy_buffering. */
  buffering: boolean;
  /** Every idle timeout of the proxy, whole seconds. */
  idleTimeoutS: number;
  /** Client connections at the peak (clients × sockets each); the proxy holds two per connection. */
  connections: number;
  /** nginx as root: its workers would otherwise drop to nobody and lose the root-only temp folder. */
  asRoot: boolean;
  /** nginx's stream module to load (absolute path), when it is a dynamic module; undefined when built in or not needed. */
  streamModule?: string;
}

/**
 * nginx (1.22 and later) accepts no new connection once fewer than a sixteenth of its
 * worker_connections are free: it starts closing idle ones instead. Each proxied connection takes
 * two (client side and upstream), plus the idle upstream keep-alive pool and some spare.
 */
export function nginxWorkerConnections(connections: number): number {
  return Math.max(1024, Math.ceil((2 * connections + 64) * 1.125));
}

export function nginxConfig(o: IntermediaryConfigInput): string {
  const workerConnections = nginxWorkerConnections(o.connections);
  const withTcp = o.routes.some((r) => r.front.tcp !== undefined);
  return [
    `# written by connbench: nginx -p ${o.dir} -c ${o.dir}/nginx.conf -e ${o.dir}/error.log`,
    ...(withTcp && o.streamModule ? [`load_module ${o.streamModule};`] : []),
    ...(o.asRoot ? ['user root root;'] : []),
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    `worker_rlimit_nofile ${workerConnections + 100};`,
    `pid ${o.dir}/nginx.pid;`,
    `error_log ${o.dir}/error.log warn;`,
    `events { worker_connections ${workerConnections}; }`,
    nginxHttp(o),
    ...(withTcp ? [nginxStream(o)] : []),
    '',
  ].join('\n');
}

function nginxTls(o: IntermediaryConfigInput, cacheZone: string): string[] {
  if (!o.tls) return [];
  return [
    `ssl_certificate ${o.tls.certFile};`,
    `ssl_certificate_key ${o.tls.keyFile};`,
    'ssl_protocols TLSv1.2 TLSv1.3;',
    `ssl_session_cache shared:${cacheZone}:10m;`,
    'ssl_session_tickets on;',
  ];
}

function nginxHttp(o: IntermediaryConfigInput): string {
  const t = `${o.idleTimeoutS}s`;
  const servers = o.routes.flatMap((r, i) =>
    r.front.http === undefined
      ? []
      : [
          `  upstream cb_http_${i} { server 127.0.0.1:${r.upstream.http}; keepalive 1024; keepalive_timeout ${t}; }`,
          '  server {',
          `    listen 127.0.0.1:${r.front.http}${o.tls ? ' ssl' : ''};`,
          ...nginxTls(o, 'CBHTTP').map((l) => `    ${l}`),
          `    keepalive_timeout ${t};`,
          // Default 1000: every thousandth poll of a keep-alive connection would get a new connection.
          '    keepalive_requests 1000000;',
          '    location / {',
          `      proxy_pass http://cb_http_${i};`,
          // HTTP/1.0 by default: no upstream keep-alive, no chunked SSE.
          '      proxy_http_version 1.1;',
          '      proxy_set_header Host $host;',
          '      proxy_set_header Upgrade $http_upgrade;',
          '      proxy_set_header Connection $connection_upgrade;',
          `      proxy_buffering ${o.buffering ? 'on' : 'off'};`,
          '      proxy_request_buffering off;',
          `      proxy_read_timeout ${t};`,
          `      proxy_send_timeout ${t};`,
          '    }',
          '  }',
        ],
  );
  return [
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${o.dir}/${k}_temp;`),
    // A websocket upgrade passes Connection: upgrade on; every other request an empty one, so upstream keep-alive works.
    "  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }",
    ...servers,
    '}',
  ].join('\n');
}

function nginxStream(o: IntermediaryConfigInput): string {
  const servers = o.routes.flatMap((r) =>
    r.front.tcp === undefined
      ? []
      : [
          '  server {',
          `    listen 127.0.0.1:${r.front.tcp}${o.tls ? ' ssl' : ''};`,
          // A zone name of its own: the http block's is "already declared for a different use".
          ...nginxTls(o, 'CBSTREAM').map((l) => `    ${l}`),
          `    proxy_pass 127.0.0.1:${r.upstream.tcp};`,
          `    proxy_timeout ${o.idleTimeoutS}s;`,
          '    proxy_connect_timeout 5s;',
          '  }',
        ],
  );
  return ['stream {', ...servers, '}'].join('\n');
}

/** HAProxy (2.6 and later): one process, one thread, logging to stderr (no syslog needed). */
export function haproxyConfig(o: IntermediaryConfigInput): string {
  const t = `${o.idleTimeoutS}s`;
  const ssl = o.tls ? ` ssl crt ${o.tls.pemFile}` : '';
  const sections = o.routes.flatMap((r, i) => [
    ...(r.front.http === undefined
      ? []
      : [
          `frontend fe_http_${i}`,
          '  mode http',
          `  bind 127.0.0.1:${r.front.http}${ssl}${o.tls ? ' alpn http/1.1' : ''}`,
          '  option http-keep-alive',
          // Without it HAProxy sends with MSG_MORE and the kernel holds an SSE event up to 200 ms.
          '  option http-no-delay',
          `  default_backend be_http_${i}`,
          `backend be_http_${i}`,
          '  mode http',
          '  http-reuse safe',
          `  server up 127.0.0.1:${r.upstream.http}`,
        ]),
    ...(r.front.tcp === undefined
      ? []
      : [
          `frontend fe_tcp_${i}`,
          '  mode tcp',
          `  bind 127.0.0.1:${r.front.tcp}${ssl}`,
          `  default_backend be_tcp_${i}`,
          `backend be_tcp_${i}`,
          '  mode tcp',
          `  server up 127.0.0.1:${r.upstream.tcp}`,
        ]),
  ]);
  return [
    `# written by connbench: haproxy -f ${o.dir}/haproxy.cfg -db`,
    'global',
    `  maxconn ${2 * o.connections + 64}`,
    '  nbthread 1',
    `  pidfile ${o.dir}/haproxy.pid`,
    '  log stderr format raw local0 notice',
    'defaults',
    '  log global',
    '  option dontlognull',
    '  timeout connect 5s',
    `  timeout client ${t}`,
    `  timeout server ${t}`,
    `  timeout tunnel ${t}`,
    '  timeout http-request 10s',
    `  timeout http-keep-alive ${t}`,
    '  timeout client-fin 5s',
    '  timeout server-fin 5s',
    ...sections,
    '',
  ].join('\n');
}
