import { z } from 'zod';
import { axis, durationMs, onOff } from '../util/zodUnits.js';
import { formatDurationExact } from '../util/unitText.js';

/**
 * How clients reach the server, for every model of a scenario: over TLS or not (`tls`), and
 * directly or through an intermediary (`intermediary`): nginx or HAProxy that connbench starts
 * itself, or one of the user's own (`via`). Both are scenario-wide: the models' code is the same
 * over any path, and a list of either makes a matrix axis.
 */

export const PROXIES = ['none', 'nginx', 'haproxy'] as const;
export type ProxyKind = (typeof PROXIES)[number];

const tlsObject = z.strictObject({
  enabled: axis(
    onOff,
    'TLS on every model: https polling and SSE, wss, TLS on the tcp port. The clients verify the server against a CA (a throwaway one made at run start, or `ca`).',
  ).default('off'),
  resumption: axis(
    onOff,
    'TLS session resumption: on, a client offers the last session ticket its server gave (reconnects and new connections then resume); off, every handshake is a full one.',
  ).default('on'),
  cert: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Your own server certificate (PEM, leaf first) instead of the throwaway CA; needs key. It must name 127.0.0.1 (IP SAN) or localhost.',
    ),
  key: z.string().min(1).optional().describe('The private key (PEM) of cert.'),
  ca: z.string().min(1).optional().describe('The CA (PEM) the clients trust for cert; default: cert itself (a self-signed one).'),
});

/** `tls: on`, `tls: [off, on]` or the whole section. */
export const tlsSchema = z
  .union([tlsObject, axis(onOff, 'Shorthand for tls.enabled.')])
  .transform((v) => (typeof v === 'object' && !Array.isArray(v) ? v : { enabled: v, resumption: 'on' as const }))
  .prefault({})
  .describe('TLS on every model (`tls: on`, or `tls: [off, on]` for both side by side).');

const hostPort = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/;

const intermediaryObject = z.strictObject({
  proxy: axis(
    z.enum(PROXIES),
    'none: clients connect to the server. nginx, haproxy: connbench writes a config, starts the binary it finds on PATH on free loopback ports in front of every server port (HTTP, upgrades, and the tcp port through nginx `stream` / HAProxy `mode tcp`), and stops it after the model. With TLS on, the proxy terminates it.',
  ).default('none'),
  buffering: axis(
    onOff,
    "nginx's proxy_buffering (nginx's own default: on). With TLS, nginx then holds a quiet SSE stream until 16 KiB have gathered.",
  ).default('on'),
  idleTimeout: axis(
    // Whole seconds in both proxies' configs: below 1 s there is nothing to write.
    durationMs('1h', { min: 1000 }),
    "The proxy's idle timeouts: nginx proxy_read_timeout, proxy_send_timeout, keepalive_timeout and the stream proxy_timeout; HAProxy timeout client, server, tunnel and http-keep-alive. Below a long poll's hold it cuts the poll (504).",
  ).default(3_600_000),
  via: z
    .string()
    .optional()
    .describe(
      'An intermediary of your own: the URL (http:// or https://) clients connect to for the HTTP models and websocket. It must forward to upstream.http, where the run listens; with https, set tls.enabled: on and tls.ca to the CA of its certificate.',
    ),
  viaTcp: z
    .string()
    .regex(hostPort, 'expected host:port')
    .optional()
    .describe('via: host:port that forwards to upstream.tcp (the tcp model).'),
  upstream: z
    .strictObject({
      http: z.number().int().min(1).max(65535).default(8080).describe('via: the port the run listens on for HTTP.'),
      tcp: z.number().int().min(1).max(65535).default(8081).describe('via: the port the run listens on for tcp.'),
    })
    .prefault({}),
});

/** `intermediary: nginx`, `intermediary: [none, nginx, haproxy]` or the whole section. */
export const intermediarySchema = z
  .union([intermediaryObject, axis(z.enum(PROXIES), 'Shorthand for intermediary.proxy.')])
  .transform((v) => (typeof v === 'object' && !Array.isArray(v) ? v : { proxy: v, buffering: 'on' as const, idleTimeout: 3_600_000 }))
  .prefault({})
  .describe('A real proxy between the clients and the server (`intermediary: nginx`), or your own (`intermediary: { via: URL }`).');

type TlsParsed = z.output<typeof tlsSchema>;
type IntermediaryParsed = z.output<typeof intermediarySchema>;

/** TLS at one point of the matrix. Files as given (relative to the scenario file, resolved when it is loaded). */
export interface TlsSettings {
  enabled: boolean;
  resumption: boolean;
  certFile: string | null;
  keyFile: string | null;
  caFile: string | null;
}

/** The intermediary at one point of the matrix. */
export interface IntermediarySettings {
  proxy: ProxyKind;
  buffering: boolean;
  idleTimeoutMs: number;
  via: string | null;
  viaTcp: string | null;
  upstream: { http: number; tcp: number };
}

const one = <T>(v: T | T[]): T => (Array.isArray(v) ? v[0]! : v);

export function resolveTls(t: TlsParsed, enabled: 'on' | 'off', resumption: 'on' | 'off'): TlsSettings {
  const files = t as { cert?: string; key?: string; ca?: string };
  return {
    enabled: enabled === 'on',
    resumption: resumption === 'on',
    certFile: files.cert ?? null,
    keyFile: files.key ?? null,
    caFile: files.ca ?? null,
  };
}

export function resolveIntermediary(
  i: IntermediaryParsed,
  at: { proxy: ProxyKind; buffering: 'on' | 'off'; idleTimeoutMs: number },
): IntermediarySettings {
  const o = i as { via?: string; viaTcp?: string; upstream?: { http: number; tcp: number } };
  return {
    proxy: at.proxy,
    buffering: at.buffering === 'on',
    idleTimeoutMs: at.idleTimeoutMs,
    via: o.via ?? null,
    viaTcp: o.viaTcp ?? null,
    upstream: o.upstream ?? { http: 8080, tcp: 8081 },
  };
}

/** The matrix axes of these sections, each with the points it means something at (the others take its first value). */
export const NETWORK_AXES = [
  { name: 'tls.enabled', of: (p: { tls: TlsParsed }) => p.tls.enabled },
  {
    name: 'tls.resumption',
    of: (p: { tls: TlsParsed }) => p.tls.resumption,
    appliesTo: (at: Record<string, unknown>) => at['tls.enabled'] === 'on',
  },
  { name: 'intermediary.proxy', of: (p: { intermediary: IntermediaryParsed }) => p.intermediary.proxy },
  {
    name: 'intermediary.buffering',
    of: (p: { intermediary: IntermediaryParsed }) => p.intermediary.buffering,
    appliesTo: (at: Record<string, unknown>) => at['intermediary.proxy'] === 'nginx',
  },
  {
    name: 'intermediary.idleTimeout',
    of: (p: { intermediary: IntermediaryParsed }) => p.intermediary.idleTimeout,
    appliesTo: (at: Record<string, unknown>) => at['intermediary.proxy'] !== 'none',
  },
] as const;

/** The sections written back as a scenario file would say them. */
export function tlsInput(t: TlsSettings): Record<string, unknown> {
  return {
    enabled: t.enabled ? 'on' : 'off',
    resumption: t.resumption ? 'on' : 'off',
    ...(t.certFile !== null ? { cert: t.certFile } : {}),
    ...(t.keyFile !== null ? { key: t.keyFile } : {}),
    ...(t.caFile !== null ? { ca: t.caFile } : {}),
  };
}

export function intermediaryInput(i: IntermediarySettings): Record<string, unknown> {
  return {
    proxy: i.proxy,
    buffering: i.buffering ? 'on' : 'off',
    idleTimeout: formatDurationExact(i.idleTimeoutMs),
    ...(i.via !== null ? { via: i.via } : {}),
    ...(i.viaTcp !== null ? { viaTcp: i.viaTcp } : {}),
    upstream: { ...i.upstream },
  };
}

/** Cross-field problems of these sections, each with the path to change; `models` and `processes` from the scenario. */
export function networkProblems(
  p: { tls: TlsParsed; intermediary: IntermediaryParsed },
  ctx: { models: readonly string[]; processes: number },
): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const t = p.tls as { cert?: string; key?: string; ca?: string };
  if ((t.cert === undefined) !== (t.key === undefined))
    out.push({ path: ['tls', t.cert === undefined ? 'cert' : 'key'], message: 'give cert and key together' });
  const i = p.intermediary as { via?: string; viaTcp?: string; proxy: ProxyKind | ProxyKind[] };
  if (i.via === undefined) {
    if (t.ca !== undefined && t.cert === undefined)
      out.push({
        path: ['tls', 'ca'],
        message: 'ca is the CA of your own cert (or of an https via): give cert and key too, or via',
      });
    if (i.viaTcp !== undefined) out.push({ path: ['intermediary', 'viaTcp'], message: 'viaTcp goes with via' });
    return out;
  }
  if (t.cert !== undefined)
    out.push({
      path: ['tls', 'cert'],
      message: 'behind a via the run listens plain (your intermediary holds the certificate): give only tls.ca',
    });
  const proxies = Array.isArray(i.proxy) ? i.proxy : [i.proxy];
  if (proxies.some((x) => x !== 'none')) out.push({ path: ['intermediary', 'via'], message: 'give via or proxy, not both' });
  let url: URL | undefined;
  try {
    url = new URL(i.via);
  } catch {
    out.push({ path: ['intermediary', 'via'], message: `"${i.via}" is not a URL (e.g. https://127.0.0.1:8443)` });
  }
  if (url && url.protocol !== 'http:' && url.protocol !== 'https:')
    out.push({ path: ['intermediary', 'via'], message: `via must be http:// or https://, got ${url.protocol}//` });
  const tlsOn = [one(p.tls.enabled)].concat(p.tls.enabled).every((v) => v === 'on');
  const tlsOff = [one(p.tls.enabled)].concat(p.tls.enabled).every((v) => v === 'off');
  if (url?.protocol === 'https:' && !(tlsOn && t.ca !== undefined))
    out.push({
      path: ['tls'],
      message: 'an https via needs tls.enabled: on and tls.ca (the CA of its certificate), so the clients can verify it',
    });
  if (url?.protocol === 'http:' && !tlsOff)
    out.push({ path: ['tls', 'enabled'], message: 'an http:// via carries no TLS: set tls.enabled: off, or use https' });
  const tcpHost = i.viaTcp === undefined ? undefined : hostPort.exec(i.viaTcp)?.[1];
  if (url && tcpHost !== undefined && tcpHost !== url.hostname)
    out.push({ path: ['intermediary', 'viaTcp'], message: `viaTcp must be on the host of via (${url.hostname}), got ${tcpHost}` });
  if (ctx.models.includes('tcp') && i.viaTcp === undefined)
    out.push({
      path: ['intermediary', 'viaTcp'],
      message: 'the tcp model needs viaTcp (host:port forwarding to upstream.tcp), or leave tcp out of models',
    });
  if (ctx.processes > 1) out.push({ path: ['server', 'processes'], message: 'via forwards to one upstream: use server.processes: 1' });
  return out;
}
