import { X509Certificate, createPrivateKey, randomBytes, webcrypto, KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import { inputError } from '../util/errors.js';

/** A server certificate, its key and the CA the clients trust for it, all PEM (each ending in a newline). */
export interface CertificateSet {
  certPem: string;
  keyPem: string;
  caPem: string;
  /** SNI the clients send and the name they check: 'localhost' when the certificate names it but not 127.0.0.1. */
  servername?: string;
}

/** Days a throwaway certificate is valid: a run (or a `serve`) of a day or two. */
const THROWAWAY_DAYS = 2;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

/**
 * A CA and a server certificate signed by it, made now with ECDSA P-256 keys from node:crypto,
 * for a run or `serve --tls` that brought no certificate of its own. The leaf names localhost,
 * 127.0.0.1 and ::1 (the clients connect by IP, and Node checks it against the IP SANs), and is
 * for serverAuth only; the CA may sign nothing but it.
 *
 * @peculiar/x509 builds and signs the certificates (ARCHITECTURE.md says why that library). It is
 * imported here, when a run needs a CA, not at startup: the import alone takes about 0.2-0.3 s.
 */
export async function makeThrowawayCertificates(): Promise<CertificateSet> {
  // tsyringe, under @peculiar/x509 2.x, needs the Reflect metadata polyfill loaded first.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);
  const subtle = webcrypto.subtle;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + THROWAWAY_DAYS * 86_400_000);
  const caKeys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: 'CN=connbench throwaway CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leafKeys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: 'CN=localhost',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
    ],
  });
  return {
    // toString('pem') ends without a newline; HAProxy reads cert and key from one file and needs it.
    certPem: pemLine(leaf.toString('pem')),
    keyPem: pemLine(KeyObject.from(leafKeys.privateKey).export({ format: 'pem', type: 'pkcs8' }) as string),
    caPem: pemLine(ca.toString('pem')),
  };
}

/** A positive 128-bit serial number, as hex. */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0]! &= 0x7f;
  return b.toString('hex');
}

const pemLine = (pem: string) => `${pem.trimEnd()}\n`;

/**
 * The user's own certificate files (`tls.cert`, `tls.key`, `tls.ca`), checked before anything runs:
 * each readable and PEM, the key that of the certificate, the certificate signed by the CA and
 * naming 127.0.0.1 or localhost (what the clients connect to). Every problem is bad input
 * (exit 2) naming the file. `ca` defaults to the certificate itself (a self-signed one).
 */
export function loadCertificateFiles(files: { cert: string; key: string; ca?: string | null }): CertificateSet {
  const certPem = readPem(files.cert, 'tls.cert');
  const keyPem = readPem(files.key, 'tls.key');
  const caFile = files.ca ?? files.cert;
  const caPem = files.ca ? readPem(files.ca, 'tls.ca') : certPem;
  const cert = parseCertificate(certPem, files.cert, 'tls.cert');
  const ca = parseCertificate(caPem, caFile, 'tls.ca');
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw badFile('CB_ERR_TLS_FILE', `${files.key} (tls.key) holds no private key: ${(err as Error).message}`, files.key);
  }
  if (!cert.checkPrivateKey(key))
    throw badFile('CB_ERR_TLS_MISMATCH', `${files.key} (tls.key) is not the key of the certificate in ${files.cert} (tls.cert)`, files.key);
  if (!cert.verify(ca.publicKey))
    throw badFile('CB_ERR_TLS_MISMATCH', `${files.cert} (tls.cert) is not signed by the CA in ${caFile} (tls.ca)`, caFile);
  const servername = cert.checkIP('127.0.0.1') ? undefined : cert.checkHost('localhost') ? 'localhost' : null;
  if (servername === null)
    throw badFile(
      'CB_ERR_TLS_NAME',
      `${files.cert} (tls.cert) names neither 127.0.0.1 (an IP SAN) nor localhost, so no client of the run could verify it (its subject: ${cert.subject.replace(/\n/g, ', ')})`,
      files.cert,
    );
  try {
    createSecureContext({ cert: certPem, key: keyPem });
  } catch (err) {
    throw badFile('CB_ERR_TLS_FILE', `${files.cert} and ${files.key} cannot serve TLS: ${(err as Error).message}`, files.cert);
  }
  return { certPem: pemLine(certPem), keyPem: pemLine(keyPem), caPem: pemLine(caPem), ...(servername ? { servername } : {}) };
}

/** The CA the clients trust when an intermediary of the user's (`via`) holds the certificate. */
export function loadCaFile(file: string): string {
  const pem = readPem(file, 'tls.ca');
  parseCertificate(pem, file, 'tls.ca');
  return pemLine(pem);
}

function readPem(file: string, field: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw badFile('CB_ERR_TLS_FILE', `${file} (${field}) cannot be read: ${(err as Error).message}`, file);
  }
  if (!text.includes('-----BEGIN ')) throw badFile('CB_ERR_TLS_FILE', `${file} (${field}) is not PEM (no -----BEGIN line)`, file);
  return text;
}

function parseCertificate(pem: string, file: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw badFile('CB_ERR_TLS_FILE', `${file} (${field}) holds no certificate: ${(err as Error).message}`, file);
  }
}

function badFile(code: string, message: string, file: string) {
  return inputError(
    code,
    message,
    `check ${file}, or leave tls.cert, tls.key and tls.ca out and connbench makes a throwaway CA for the run`,
  );
}
