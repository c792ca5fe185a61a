import path from 'node:path';
import { writeJson } from '../../report/write.js';
import { checkShardResult, type ShardResult } from './shardResult.js';

/** The file name of a shard's result: the scenario, the run's fingerprint and the shard. */
export function shardFileName(r: ShardResult): string {
  const safe = r.scenario.name.replace(/[^A-Za-z0-9._-]+/g, '-');
  return `${safe}-${r.shard.fingerprint.slice(0, 8)}-shard-${r.shard.index}-of-${r.shard.count}.json`;
}

/**
 * The shard results uploaded to `serve --control` (`POST /control/results`): kept in memory for
 * `connbench merge --from URL`, and written to `dir` when given. A shard that uploads again
 * (after each model, and when it ends) replaces its earlier upload.
 */
export class ShardResultStore {
  private readonly byName = new Map<string, ShardResult>();

  constructor(private readonly dir?: string) {}

  async put(doc: unknown): Promise<string> {
    const r = checkShardResult(doc, 'the uploaded result');
    const name = shardFileName(r);
    this.byName.delete(name);
    this.byName.set(name, r);
    if (this.dir) writeJson(path.join(this.dir, name), r);
    return name;
  }

  /** Oldest first. */
  list(): ShardResult[] {
    return [...this.byName.values()];
  }
}
