import type { Command } from 'commander';
import { FaultProxy } from '../proxy/faultProxy.js';
import { IDLE_ACTIONS, parseForward, type IdleAction, type ProxyFaults } from '../proxy/options.js';
import { getPreset } from '../heartbeat/presets.js';
import { formatDurationMs, parseDurationMs } from '../util/units.js';
import { inputError } from '../util/errors.js';
import { untilSignal } from './untilSignal.js';
import { collect, unitProblem } from './flags.js';
import { MAX_DURATION_MS } from '../util/unitBounds.js';

interface ProxyFlags {
  forward: string[];
  host: string;
  preset?: string;
  idleTimeout?: string;
  idleAction?: string;
  latency: string;
  jitter: string;
  resetFraction: string;
  resetAfter: string;
  halfOpenAt?: string;
  halfOpenFraction: string;
}

/** A fraction from 0 to 1, written as a plain decimal (no exponent, no sign); undefined otherwise. Pure. */
export function parseFraction(v: string): number | undefined {
  const x = /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  return x >= 0 && x <= 1 ? x : undefined;
}

/** Flags → faults, with every problem named at once. Pure. */
export function faultsOfFlags(f: ProxyFlags): ProxyFaults {
  const problems: string[] = [];
  const dur = (flag: string, v: string | undefined, fallback: number) => {
    if (v === undefined) return fallback;
    const problem = unitProblem(flag, v, 'duration', { min: 0, max: MAX_DURATION_MS });
    if (problem) problems.push(problem);
    return parseDurationMs(v) ?? fallback;
  };
  const fraction = (flag: string, v: string) => {
    const x = parseFraction(v);
    if (x === undefined) problems.push(`${flag} "${v}" is not a fraction from 0 to 1`);
    return x ?? 0;
  };
  const preset = f.preset === undefined ? undefined : getPreset(f.preset);
  if (f.idleAction !== undefined && !(IDLE_ACTIONS as readonly string[]).includes(f.idleAction))
    problems.push(`--idle-action "${f.idleAction}" is not one of ${IDLE_ACTIONS.join(', ')}`);
  const faults: ProxyFaults = {
    idleTimeoutMs: dur('--idle-timeout', f.idleTimeout, preset?.idleTimeoutMs ?? 0),
    idleAction: (f.idleAction as IdleAction | undefined) ?? preset?.idleAction ?? 'fin',
    latencyMs: dur('--latency', f.latency, 0),
    jitterMs: dur('--jitter', f.jitter, 0),
    resetFraction: fraction('--reset-fraction', f.resetFraction),
    resetAfterMs: dur('--reset-after', f.resetAfter, 0),
    halfOpenAtMs: dur('--half-open-at', f.halfOpenAt, 0),
    halfOpenFraction: fraction('--half-open-fraction', f.halfOpenFraction),
  };
  if (problems.length > 0)
    throw inputError(
      'CB_ERR_BAD_FLAG',
      problems.join('; '),
      'durations are written like 30s or 250ms (at most 24h), fractions from 0 to 1 like 0.5 (connbench proxy --help)',
    );
  return faults;
}

function describe(f: ProxyFaults): string {
  const parts: string[] = [];
  if (f.idleTimeoutMs > 0) parts.push(`idle ${formatDurationMs(f.idleTimeoutMs)} → ${f.idleAction}`);
  if (f.latencyMs > 0 || f.jitterMs > 0)
    parts.push(`latency ${formatDurationMs(f.latencyMs)} + up to ${formatDurationMs(f.jitterMs)} jitter`);
  if (f.resetFraction > 0) parts.push(`reset ${f.resetFraction * 100}% of connections after ${formatDurationMs(f.resetAfterMs)}`);
  if (f.halfOpenAtMs > 0) parts.push(`half-open ${f.halfOpenFraction * 100}% of open connections at ${formatDurationMs(f.halfOpenAtMs)}`);
  return parts.length > 0 ? parts.join(', ') : 'no faults';
}

export function registerProxy(program: Command): void {
  program
    .command('proxy')
    .description('a TCP fault proxy: idle timeouts (FIN, RST, silent), half-open connections, latency, resets')
    .requiredOption('--forward <spec>', 'LISTEN_PORT:TARGET_HOST:TARGET_PORT (repeat for more ports, e.g. HTTP and TCP)', collect, [])
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--preset <id>', 'idle timeout and cut of a known intermediary (see `connbench heartbeat presets`)')
    .option('--idle-timeout <d>', 'cut connections with no payload either way for this long')
    .option('--idle-action <a>', `how to cut: ${IDLE_ACTIONS.join(', ')}`)
    .option('--latency <d>', 'added to every chunk, each way', '0ms')
    .option('--jitter <d>', 'up to this much more per chunk, order kept', '0ms')
    .option('--reset-fraction <f>', 'reset this fraction of new connections', '0')
    .option('--reset-after <d>', '… this long after they open', '0ms')
    .option('--half-open-at <d>', 'at this time after start, make open connections half-open (no FIN, no RST)')
    .option('--half-open-fraction <f>', '… this fraction of them', '1')
    .action(async (f: ProxyFlags) => {
      const faults = faultsOfFlags(f);
      const forwards = f.forward.map(parseForward);
      const proxies = forwards.map(
        (fw) =>
          new FaultProxy({ listenHost: f.host, listenPort: fw.listenPort, targetHost: fw.targetHost, targetPort: fw.targetPort, faults }),
      );
      try {
        for (const p of proxies) await p.listen();
      } catch (err) {
        await Promise.all(proxies.map((p) => p.close()));
        throw err;
      }
      const lines = proxies.map((p, i) => `  ${f.host}:${p.port} → ${forwards[i]!.targetHost}:${forwards[i]!.targetPort}`);
      process.stdout.write(`connbench fault proxy: ${describe(faults)}\n${lines.join('\n')}\nCtrl-C to stop.\n`);
      await untilSignal();
      for (const [i, p] of proxies.entries()) {
        const s = p.stats;
        process.stdout.write(
          `${lines[i]!.trim()}: ${s.accepted} connections, ${s.idleCuts} idle cuts, ${s.resets} resets, ${s.halfOpened} half-open, ${s.upstreamErrors} refused upstream\n`,
        );
      }
      await Promise.all(proxies.map((p) => p.close()));
    });
}
