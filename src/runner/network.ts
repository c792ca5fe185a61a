import { randomBytes } from 'node:crypto';
import type { Scenario } from '../scenario/schema.js';
import type { ListenerTls, Ports } from '../models/listeners.js';
import type { ClientTls } from '../ipc/worker.js';
import { getModel } from '../models/index.js';
import { loadCaFile, loadCertificateFiles, makeThrowawayCertificates, type CertificateSet } from './certificates.js';
import { proxyBinary, type ProxyBinary } from './binaries.js';

/**
 * What a whole run's models share about how clients reach the server, made once before the first
 * model: the certificates (and the session ticket keys every server process gets), and the
 * intermediaries' binaries, so that a missing nginx or a bad certificate file stops the run before
 * anything starts.
 */
export interface RunNetwork {
  certificates?: CertificateSet;
  /** 48 random bytes, base64: every server process of the run encrypts its session tickets with these. */
  ticketKeys: string;
  binaries: Partial<Record<'nginx' | 'haproxy', ProxyBinary>>;
}

/** Checks and prepares what the points need; exit 2 for bad certificate files, exit 3 for a missing binary. */
export async function prepareNetwork(points: Scenario[], dirs?: readonly string[]): Promise<RunNetwork> {
  const network: RunNetwork = { ticketKeys: randomBytes(48).toString('base64'), binaries: proxyBinaries(points, dirs) };
  const tlsPoint = points.find((p) => p.tls.enabled);
  if (tlsPoint) network.certificates = await certificatesOf(tlsPoint);
  return network;
}

/** The intermediaries' binaries the points need (`dirs`: where to look instead of PATH); exit 3 naming the package when one is missing. */
export function proxyBinaries(points: Scenario[], dirs?: readonly string[]): RunNetwork['binaries'] {
  const binaries: RunNetwork['binaries'] = {};
  for (const p of points) {
    const kind = p.intermediary.proxy;
    if (kind === 'none') continue;
    const needsTcp = p.models.some((id) => getModel(id).listener === 'tcp');
    const found = binaries[kind];
    if (!found || (needsTcp && kind === 'nginx' && !found.streamModule)) binaries[kind] = proxyBinary(kind, needsTcp, dirs);
  }
  return binaries;
}

async function certificatesOf(p: Scenario): Promise<CertificateSet> {
  const t = p.tls;
  if (t.certFile !== null && t.keyFile !== null) return loadCertificateFiles({ cert: t.certFile, key: t.keyFile, ca: t.caFile });
  // Behind the user's own intermediary only the CA of its certificate is needed.
  if (p.intermediary.via !== null && t.caFile !== null) return { certPem: '', keyPem: '', caPem: loadCaFile(t.caFile) };
  return makeThrowawayCertificates();
}

/** TLS on the reference server's listeners at this point: only when clients reach it directly (a proxy terminates TLS). */
export function serverTlsOf(p: Scenario, n: RunNetwork): ListenerTls | undefined {
  if (!p.tls.enabled || p.intermediary.proxy !== 'none' || p.intermediary.via !== null || !n.certificates) return undefined;
  return { certPem: n.certificates.certPem, keyPem: n.certificates.keyPem, ticketKeys: n.ticketKeys };
}

/** TLS of the clients at this point, to whatever they connect to. */
export function clientTlsOf(p: Scenario, n: RunNetwork): ClientTls | undefined {
  if (!p.tls.enabled || !n.certificates) return undefined;
  return {
    caPem: n.certificates.caPem,
    resumption: p.tls.resumption,
    ...(n.certificates.servername ? { servername: n.certificates.servername } : {}),
  };
}

/** With the user's own intermediary: the host and ports clients connect to, and where the run's server listens. */
export function viaOf(p: Scenario): { host: string; front: Ports; upstream: Ports } | undefined {
  const via = p.intermediary.via;
  if (via === null) return undefined;
  const url = new URL(via);
  const front: Ports = { http: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
  if (p.intermediary.viaTcp !== null) front.tcp = Number(p.intermediary.viaTcp.split(':').at(-1));
  // An IPv6 literal comes in brackets from URL; net.connect wants it bare.
  return { host: url.hostname.replace(/^\[|\]$/g, ''), front, upstream: { ...p.intermediary.upstream } };
}
