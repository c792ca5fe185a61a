import { MAX_DURATION_MS, MAX_RATE_PER_SEC, MIN_RATE_PER_SEC } from '../util/unitBounds.js';
import { MAX_BROADCAST_PAYLOAD_BYTES } from '../models/payloadLimits.js';
import { MAX_CLIENTS } from '../scenario/limits.js';
import { intFlag, intListFlag, unitFlag, unitListFlag } from './flags.js';
import { networkOverrides, type NetworkFlags } from './networkFlags.js';

/** `run`'s flags as commander gives them: text, unparsed. */
export interface RunFlags extends NetworkFlags {
  models?: string;
  clients?: string;
  duration?: string;
  rate?: string;
  payload?: string;
  out?: string;
  json?: boolean;
  wide?: boolean;
  quiet?: boolean;
  repeat?: string;
  html?: string;
  markdown?: string;
  target?: string;
  shard?: string;
  busyPoll?: boolean;
}

/** What run's flags set on every scenario: each value read by its flag's own rules, and the flag behind each path. */
export interface RunOverrides {
  overrides: Record<string, unknown>;
  /** Dotted path → the flag and value that set it, for the scenario's own checks to name. */
  setBy: Record<string, string>;
}

/**
 * The scenario fields run's flags override, each read and range-checked as its flag (the same
 * ranges the schema gives the field): a bad value is refused naming the flag before any file is
 * read. Pure.
 */
export function runOverridesOf(f: RunFlags): RunOverrides {
  const read: [path: string, flag: string, raw: string | undefined, value: (raw: string) => unknown][] = [
    ['models', '--models', f.models, (v) => v.split(',').map((m) => m.trim())],
    ['clients', '--clients', f.clients, (v) => intListFlag('--clients', v, { min: 1, max: MAX_CLIENTS, example: '1000' })],
    ['duration', '--duration', f.duration, (v) => unitFlag('--duration', v, 'duration', { above: 0, max: MAX_DURATION_MS }, '10s')],
    ['workload.rate', '--rate', f.rate, (v) => unitListFlag('--rate', v, 'rate', { min: MIN_RATE_PER_SEC, max: MAX_RATE_PER_SEC }, '10/s')],
    [
      'workload.payload',
      '--payload',
      f.payload,
      (v) => unitListFlag('--payload', v, 'size', { min: 0, max: MAX_BROADCAST_PAYLOAD_BYTES }, '4KiB'),
    ],
  ];
  const overrides: Record<string, unknown> = {};
  const setBy: Record<string, string> = {};
  if (f.busyPoll) {
    overrides['client.busyPoll'] = true;
    setBy['client.busyPoll'] = '--busy-poll';
  }
  for (const [path, flag, raw, value] of read) {
    if (raw === undefined) continue;
    overrides[path] = value(raw);
    setBy[path] = `${flag} ${JSON.stringify(raw)}`;
  }
  // TLS and intermediaries: the schema reads their values (files, URLs, kinds), naming the flag.
  for (const { path, flag, raw, value } of networkOverrides(f)) {
    overrides[path] = value;
    setBy[path] = raw === true ? flag : `${flag} ${JSON.stringify(raw)}`;
  }
  return { overrides, setBy };
}

export const repeatCount = (v: string | undefined) =>
  v === undefined ? 1 : intFlag('--repeat', v, { min: 1, max: 100, example: '3', code: 'CB_ERR_USAGE' });
