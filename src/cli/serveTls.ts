import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ListenerTls, Ports } from '../models/listeners.js';
import { loadCertificateFiles, makeThrowawayCertificates } from '../runner/certificates.js';
import { inputError } from '../util/errors.js';

/** `serve`'s TLS flags. */
export interface ServeTlsFlags {
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  caOut: string;
}

/** The listeners' TLS and the CA file a client should trust (written here for a throwaway CA); undefined without --tls. */
export async function serveTls(f: ServeTlsFlags): Promise<{ listeners: ListenerTls; caFile: string } | undefined> {
  if (!f.tls) {
    if (f.tlsCert || f.tlsKey || f.tlsCa)
      throw inputError('CB_ERR_BAD_FLAG', '--tls-cert, --tls-key and --tls-ca go with --tls', 'add --tls');
    return undefined;
  }
  const ticketKeys = randomBytes(48).toString('base64');
  if (f.tlsCert || f.tlsKey) {
    if (!f.tlsCert || !f.tlsKey)
      throw inputError('CB_ERR_BAD_FLAG', 'give --tls-cert and --tls-key together', 'add the one that is missing');
    const own = loadCertificateFiles({ cert: f.tlsCert, key: f.tlsKey, ca: f.tlsCa ?? null });
    return { listeners: { certPem: own.certPem, keyPem: own.keyPem, ticketKeys }, caFile: path.resolve(f.tlsCa ?? f.tlsCert) };
  }
  const made = await makeThrowawayCertificates();
  const caFile = path.resolve(f.caOut);
  try {
    writeFileSync(caFile, made.caPem);
  } catch (err) {
    throw inputError(
      'CB_ERR_BAD_FLAG',
      `--ca-out ${f.caOut}: cannot write the CA there: ${(err as Error).message}`,
      'name a file in a folder you can write to',
    );
  }
  return { listeners: { certPem: made.certPem, keyPem: made.keyPem, ticketKeys }, caFile };
}

/** How to reach the TLS listeners by hand, verifying the server with the CA file. */
export function tlsHelpLines(caFile: string, host: string, ports: Ports): string[] {
  const shown = path.relative(process.cwd(), caFile) || caFile;
  const file = shown.startsWith('..') ? caFile : shown;
  return [
    `TLS: clients verify the server against ${caFile}, e.g.`,
    `  curl --cacert ${file} 'https://${host}:${ports.http}/poll?cursor=0'`,
    `  curl -N --cacert ${file} https://${host}:${ports.http}/events`,
    `  openssl s_client -quiet -CAfile ${file} -connect ${host}:${ports.tcp}   (tcp frames)`,
  ];
}
