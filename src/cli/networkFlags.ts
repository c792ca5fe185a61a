import path from 'node:path';

/** The flags of `run` for how clients reach the server: TLS and an intermediary. */
export interface NetworkFlags {
  tls?: string | boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  intermediary?: string;
  via?: string;
  viaTcp?: string;
}

const listOrOne = (v: string) => {
  const parts = v.split(',').map((p) => p.trim());
  return parts.length === 1 ? parts[0] : parts;
};

/** One scenario field a flag sets: its dotted path, the flag and what was typed (true: the flag alone), and the value. */
export interface NetworkOverride {
  path: string;
  flag: string;
  raw: string | true;
  value: unknown;
}

/**
 * The scenario fields these flags set (dotted paths; the schema checks the values). `--tls` alone
 * runs plain and TLS side by side, which is what shows what TLS adds. Files are resolved against
 * the current folder, as a user typed them.
 */
export function networkOverrides(f: NetworkFlags): NetworkOverride[] {
  const file = (v: string) => path.resolve(v);
  const given: [path: string, flag: string, raw: string | boolean | undefined, value: (raw: string | true) => unknown][] = [
    ['tls.enabled', '--tls', f.tls, (v) => (v === true ? ['off', 'on'] : listOrOne(v))],
    ['tls.cert', '--tls-cert', f.tlsCert, (v) => file(String(v))],
    ['tls.key', '--tls-key', f.tlsKey, (v) => file(String(v))],
    ['tls.ca', '--tls-ca', f.tlsCa, (v) => file(String(v))],
    ['intermediary.proxy', '--intermediary', f.intermediary, (v) => listOrOne(String(v))],
    ['intermediary.via', '--via', f.via, (v) => v],
    ['intermediary.viaTcp', '--via-tcp', f.viaTcp, (v) => v],
  ];
  return given.flatMap(([p, flag, raw, value]) => (raw === undefined || raw === false ? [] : [{ path: p, flag, raw, value: value(raw) }]));
}
