import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeHistogram, initHistograms } from '../../src/metrics/histogram.js';
import { cli, readRun, readShard, runShards, shardFiles, startControl, stop, type Proc } from './shardHarness.js';

/**
 * A real clock offset: Linux time namespaces give a process its own CLOCK_MONOTONIC, which
 * connbench's clock (process.hrtime) reads. Shard 1 runs under `unshare --time --monotonic +1000`
 * (its clock 1000 s ahead of the server's), shard 2 under −1000 s where the machine has been up
 * long enough (a negative shift may not pass the uptime), shard 0 on the server's own clock. Each
 * shard's offset must be its shift within the bound it reports, and its corrected latencies must
 * match the unshifted shard's (see the comparison below for how closely).
 */
const SHIFT_S = 1000;

/** Why time namespaces cannot be used here, or undefined when they can. */
function refusal(): string | undefined {
  const r = spawnSync('unshare', ['--time', '--monotonic', '1', '--fork', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `unshare is not available (${r.error.message})`;
  return r.status === 0 ? undefined : `unshare --time is refused here: ${r.stderr.trim()}`;
}

const refused = refusal();
if (refused) process.stdout.write(`skipped: the time namespace test: ${refused}\n`);
const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
// A negative shift must stay below the uptime (the kernel refuses it otherwise): -1000 s on a machine up long enough.
const SHIFT2_S = uptimeS > SHIFT_S + 60 ? -SHIFT_S : SHIFT_S / 2;

const SCENARIO = `name: dist-timens
models: [websocket]
clients: 30
rampUp: 200ms
warmup: 500ms
duration: 2s
drainTimeout: 1500ms
workload: { pattern: broadcast, rate: 50/s, payload: 64B }
`;

let server: Proc | undefined;
beforeAll(() => initHistograms());
afterEach(async () => {
  if (server) await stop(server);
  server = undefined;
});

describe('a shard on a shifted clock (unshare --time)', () => {
  it.skipIf(refused !== undefined)(
    `reports the shift as its offset within the bound, and corrected latencies like an unshifted shard's (shifts +${SHIFT_S} s and ${SHIFT2_S} s)`,
    async () => {
      if (SHIFT2_S !== -SHIFT_S)
        process.stdout.write(`the machine is up ${uptimeS} s: shard 2 is shifted by ${SHIFT2_S} s, not -${SHIFT_S} s\n`);
      const dir = mkdtempSync(path.join(tmpdir(), 'connbench-timens-'));
      const scenario = path.join(dir, 'timens.yaml');
      writeFileSync(scenario, SCENARIO);
      const control = await startControl();
      server = control.p;
      const shiftOf = [0, SHIFT_S, SHIFT2_S];
      const out = path.join(dir, 'shards');
      const shards = await runShards(3, {
        scenario,
        target: control.url,
        outDir: out,
        timeoutMs: 150_000,
        wrapOf: (i) => (shiftOf[i] ? ['unshare', '--time', '--monotonic', String(shiftOf[i]), '--fork'] : undefined),
      });
      for (const s of shards) expect(s.status, s.stderr).toBe(0);
      const files = shardFiles(out);
      const merged = path.join(dir, 'merged.json');
      const m = cli(['merge', ...files, '--out', merged]);
      expect(m.status, m.stderr).toBe(0);
      const row = readRun(merged).models[0]!;
      expect(row.messages.lost).toBe(0);
      expect(row.clients.connected).toBe(30);

      // The shard's offset is server − shard: −shift, within the bound it reports.
      const clocks = row.clock!.shards;
      const p50 = files.map((f) => p50OfShard(f));
      for (const c of clocks) {
        const expectedUs = -shiftOf[c.shard]! * 1e6;
        process.stdout.write(
          `shard ${c.shard} shifted ${shiftOf[c.shard]} s: offset ${c.offsetUs} µs (error ${(c.offsetUs - expectedUs).toFixed(1)} µs), bound ${c.boundUs} µs, drift ${c.driftPpm} ppm, p50 ${p50[c.shard]} µs\n`,
        );
        expect(Math.abs(c.offsetUs - expectedUs), `shard ${c.shard}`).toBeLessThanOrEqual(c.boundUs);
      }
      // Corrected latencies: each shifted shard's median next to the unshifted one's. The offsets above
      // hold to within their bound (about 0.1 ms), but two sets of processes on 2 busy cores receive
      // the same broadcast milliseconds apart, so medians are compared within a factor of 3: a
      // correction off by the shift (1000 s) or of the wrong sign would be off by a factor of 10^5, or
      // pin every latency at the 1 µs floor, which no delivery may touch.
      for (const c of clocks.filter((x) => x.shard !== 0)) {
        const ratio = p50[c.shard]! / p50[0]!;
        process.stdout.write(`shard ${c.shard} p50 − shard 0 p50 = ${p50[c.shard]! - p50[0]!} µs (ratio ${ratio.toFixed(2)})\n`);
        expect(ratio, `shard ${c.shard} p50 vs shard 0`).toBeGreaterThan(1 / 3);
        expect(ratio, `shard ${c.shard} p50 vs shard 0`).toBeLessThan(3);
      }
      for (const f of files) expect(minOfShard(f), f).toBeGreaterThan(1);
    },
    240_000,
  );
});

/** The smallest latency (µs) one shard recorded: 1 µs is the floor a negative latency (a receive time corrected the wrong way) is recorded at. */
function minOfShard(file: string): number {
  const run = readShard(file).models[0]!.runs[0]!;
  if (run.status !== 'measured') throw new Error(`${file}: the run failed`);
  return Math.min(
    ...run.raw.workers.map((w) => {
      const h = decodeHistogram(w.histogram);
      const min = h.minNonZeroValue;
      h.destroy();
      return min;
    }),
  );
}

/** The median latency (µs) of one shard's deliveries, from its workers' histograms. */
function p50OfShard(file: string): number {
  const run = readShard(file).models[0]!.runs[0]!;
  if (run.status !== 'measured') throw new Error(`${file}: the run failed`);
  const [first, ...rest] = run.raw.workers.map((w) => decodeHistogram(w.histogram));
  for (const h of rest) (first!.add(h), h.destroy());
  const v = first!.getValueAtPercentile(50);
  first!.destroy();
  return v;
}
