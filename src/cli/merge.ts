import type { Command } from 'commander';
import { mergeShards, type ShardInput } from '../runner/remote/merge.js';
import { readShardFile, checkShardResult } from '../runner/remote/shardResult.js';
import { ControlClient } from '../runner/remote/controlClient.js';
import { initHistograms } from '../metrics/histogram.js';
import { renderRunTable } from '../report/table.js';
import { resultPathOf, writeJson } from '../report/write.js';
import { evaluateThresholds, parseThresholds, renderThresholdReport, thresholdFailure, unmatchedThresholds } from '../report/thresholds.js';
import { inputError, runError } from '../util/errors.js';
import { TOKEN_ENV, shardFlags } from './runShard.js';

interface MergeFlags {
  from?: string;
  out?: string;
  json?: boolean;
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('merge the partial results of `run --target --shard i/n` into one result, as if one machine had run every client')
    .argument('[files...]', 'shard result files (kind "shard")')
    .option('--from <url>', "fetch the shard results kept by `serve --control` at this URL (token: CONNBENCH_TOKEN); the latest run's")
    .option(
      '--out <file|dir>',
      'where to write the merged result: a file, or a directory to write the default name in (default results/<scenario>-<timestamp>.json)',
    )
    .option('--json', 'print only the merged result JSON')
    .action(async (files: string[], flags: MergeFlags) => {
      const inputs: ShardInput[] = files.map((file) => ({ file, r: readShardFile(file) }));
      if (flags.from !== undefined) inputs.push(...(await fetchShards(flags.from)));
      if (inputs.length === 0)
        throw inputError('CB_ERR_USAGE', 'merge needs shard result files or --from URL', 'connbench merge results/*-shard-*.json');
      await initHistograms();
      const { result, missing } = mergeShards(inputs);
      const thresholds = parseThresholds(result.scenario.thresholds ?? {}, 'the scenario of the shards');
      let thresholdText = '';
      if (thresholds.length > 0) {
        result.thresholds = evaluateThresholds(thresholds, result);
        thresholdText = renderThresholdReport(result.thresholds, unmatchedThresholds(thresholds, result));
      }
      const out = resultPathOf(flags.out, result.scenario.name, new Date(result.startedAt));
      writeJson(out, result);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        process.stderr.write(thresholdText);
      } else {
        process.stdout.write(renderRunTable(result, { color: process.stdout.isTTY }));
        process.stdout.write(thresholdText);
        process.stdout.write(`merged shards ${result.shards!.merged.join(', ')} of ${result.shards!.count}\nresult: ${out}\n`);
      }
      if (missing.length > 0) {
        throw runError(
          'CB_ERR_SHARD_MISSING',
          `shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${result.shards!.count} missing: ${out} is written, marked incomplete, and counts only the clients of the shards it has`,
          "find the missing shards' results (or run them again) and merge every one",
        );
      }
      const failed = result.thresholds?.filter((t) => !t.passed) ?? [];
      if (failed.length > 0) throw thresholdFailure(failed);
    });
}

/** The shard results kept on the server, of the run that uploaded last (several runs may have used the server). */
async function fetchShards(url: string): Promise<ShardInput[]> {
  const { target, token } = shardFlags({ target: url }, process.env) ?? { target: url, token: process.env[TOKEN_ENV] ?? '' };
  const client = new ControlClient(target, token);
  try {
    const all = (await client.results()).map((doc, i) => ({
      file: `${target} result ${i + 1}`,
      r: checkShardResult(doc, `${target} result ${i + 1}`),
    }));
    const latest = all.at(-1)?.r.shard.fingerprint;
    return all.filter((x) => x.r.shard.fingerprint === latest);
  } finally {
    await client.close();
  }
}
