import type { Scenario } from '../scenario/schema.js';
import { MAX_SHARDS } from '../ipc/control.js';
import { runShard } from '../runner/remote/shardRun.js';
import { machineLimits } from '../runner/machine.js';
import type { RunListener } from '../runner/events.js';
import { renderRunTable } from '../report/table.js';
import { resultPathOf, writeJson } from '../report/write.js';
import { inputError } from '../util/errors.js';
import { progressListener } from './progress.js';
import { interruptible } from './interruptible.js';

/** The environment variable that carries the control API's token, on the server and every shard. */
export const TOKEN_ENV = 'CONNBENCH_TOKEN';

export interface ShardTarget {
  target: string;
  token: string;
  shard: { index: number; count: number };
}

/** `--target URL [--shard i/n]` and the token, checked; undefined without --target. */
export function shardFlags(
  flags: { target?: string; shard?: string; html?: string; markdown?: string },
  env: NodeJS.ProcessEnv,
): ShardTarget | undefined {
  if (flags.target === undefined) {
    if (flags.shard !== undefined)
      throw inputError('CB_ERR_USAGE', '--shard needs --target', 'run shards against a server: --target http://host:8080 --shard 0/4');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(flags.target);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw inputError('CB_ERR_BAD_FLAG', `--target "${flags.target}" is not an http:// URL`, 'write it like --target http://10.0.0.5:8080');
  }
  if (flags.html !== undefined || flags.markdown !== undefined) {
    throw inputError(
      'CB_ERR_USAGE',
      '--html and --markdown render a whole run; a shard is part of one',
      'merge the shards (connbench merge), then connbench report',
    );
  }
  const shard = parseShard(flags.shard ?? '0/1');
  const token = env[TOKEN_ENV];
  if (!token) {
    throw inputError(
      'CB_ERR_TOKEN_MISSING',
      `--target needs the server's token in ${TOKEN_ENV}`,
      `set ${TOKEN_ENV} to what \`connbench serve --control\` printed or was given`,
    );
  }
  return { target: url.origin, token, shard };
}

/** `2/4` → shard 2 of 4. */
export function parseShard(v: string): { index: number; count: number } {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(v.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && count <= MAX_SHARDS && index < count)) {
    throw inputError(
      'CB_ERR_BAD_FLAG',
      `--shard "${v}" is not i/n with 0 <= i < n <= ${MAX_SHARDS}`,
      'write it like --shard 0/4 (shards 0/4, 1/4, 2/4 and 3/4 make the whole run)',
    );
  }
  return { index, count };
}

/**
 * `run --target URL --shard i/n`: each scenario's shard against the server, a partial result
 * written after every model (and kept on the server), this shard's own table printed.
 */
export async function runShardCommand(
  loaded: { name: string; points: Scenario[] }[],
  t: ShardTarget,
  o: { repeat: number; json?: boolean; quiet?: boolean; out?: string },
): Promise<void> {
  const { signal, exitCode } = interruptible();
  const listeners: RunListener[] = [];
  if (!o.quiet && !o.json && process.stderr.isTTY) listeners.push(progressListener(process.stderr));
  else if (!o.quiet) listeners.push({ warning: (m) => void process.stderr.write(`warning: ${m}\n`) });
  const { index, count } = t.shard;
  for (const { points } of loaded) {
    const out = resultPathOf(o.out, points[0]!.name, new Date(), `-shard-${index}-of-${count}`);
    const { result, rows } = await runShard(points, {
      ...t,
      listeners,
      signal,
      limits: machineLimits(),
      repeat: o.repeat,
      checkpoint: (r) => writeJson(out, r),
    });
    if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(renderRunTable(rows, { color: process.stdout.isTTY }));
      process.stdout.write(
        `  shard ${index}/${count}: this shard's clients only, and no thresholds checked; merge every shard's result for the run (connbench merge)\n`,
      );
      process.stdout.write(`result: ${out}\n`);
    }
    if (exitCode()) {
      process.exitCode = exitCode();
      return;
    }
  }
}
