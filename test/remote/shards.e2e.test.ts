import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { runCli } from '../helpers/cli.js';
import { createHistogram, decodeHistogram, initHistograms } from '../../src/metrics/histogram.js';
import { WITHHOLD_ENV, type WithholdSpec } from '../../src/server/withhold.js';
import {
  TOKEN,
  cli,
  readRun,
  readShard,
  runShards,
  shardFiles,
  spawnCli,
  startControl,
  startShards,
  stop,
  type Proc,
} from './shardHarness.js';

/**
 * A distributed run on loopback (built dist/): `serve --control` and 3 shards, each running what a
 * client pod of deploy/kubernetes runs, then `connbench merge`. 30 clients, 20 messages/s for
 * 1.5 s (seqs 1 … 30), and the server withholds chosen messages from clients of every shard.
 */
const WITHHOLD: WithholdSpec = { u0: [2, 5], u4: [3], u8: [1, 2, 3], u29: [7] };
const WITHHELD = Object.values(WITHHOLD).reduce((n, s) => n + s.length, 0);
const SCENARIO = `name: dist-e2e
models: [websocket, tcp]
clients: 30
rampUp: 200ms
warmup: 500ms
duration: 1s
drainTimeout: 1500ms
workload: { pattern: broadcast, rate: 20/s, payload: 64B }
thresholds:
  "*.lost": "== ${WITHHELD}"
  "*.clients.connected": "== 30"
`;

let server: Proc | undefined;
const tmp = () => mkdtempSync(path.join(tmpdir(), 'connbench-dist-'));

beforeAll(() => initHistograms());
afterEach(async () => {
  if (server) await stop(server);
  server = undefined;
});

describe('run --target --shard i/n against serve --control, then merge (loopback, end to end)', () => {
  it('3 shards make one result: every client, exactly the withheld messages lost, histograms added exactly, offsets 0 within their bound', async () => {
    const dir = tmp();
    const scenario = path.join(dir, 'dist.yaml');
    writeFileSync(scenario, SCENARIO);
    const control = await startControl({ env: { [WITHHOLD_ENV]: JSON.stringify(WITHHOLD) } });
    server = control.p;
    const out = path.join(dir, 'shards');
    const shards = await runShards(3, { scenario, target: control.url, outDir: out, timeoutMs: 150_000 });
    for (const s of shards) expect(s.status, s.stderr).toBe(0);
    // run --out DIR wrote the default name inside it.
    const files = shardFiles(out);
    expect(files.map((f) => path.basename(f))).toEqual(
      [0, 1, 2].map((i) => expect.stringMatching(new RegExp(`^dist-e2e-.*-shard-${i}-of-3\\.json$`))),
    );

    const merged = path.join(dir, 'merged.json');
    const m = runCli(['merge', ...files, '--out', merged], 60_000);
    expect(m.status, m.stderr).toBe(0);
    const result = readRun(merged);
    expect(result).toMatchObject({ kind: 'run', complete: true, shards: { count: 3, merged: [0, 1, 2], missing: [] } });
    expect(result.thresholds!.every((t) => t.passed)).toBe(true);
    const parts = files.map(readShard);
    for (const row of result.models) {
      const why = `${row.model}: ${row.statusReason ?? ''}`;
      expect(row.clients, why).toEqual({ target: 30, connected: 30, failed: 0 });
      expect(row.messages.published, why).toBe(30);
      expect(row.messages, why).toMatchObject({ expected: 30 * 30, lost: WITHHELD, delivered: 30 * 30 - WITHHELD, duplicates: 0 });
      // The server's own sampling: every shard's connections in one server.
      expect(row.server.openSockets, why).toBe(30);
      expect(row.processes!.filter((p) => p.role === 'server')).toHaveLength(1);
      expect(new Set(row.processes!.filter((p) => p.role === 'client').map((p) => p.shard))).toEqual(new Set([0, 1, 2]));

      // Exact: the merged histogram is every worker's samples in one histogram.
      const all = createHistogram();
      for (const part of parts) {
        const run = part.models.find((x) => x.model === row.model)!.runs[0]!;
        expect(run.status).toBe('measured');
        if (run.status !== 'measured') continue;
        for (const w of run.raw.workers) {
          const h = decodeHistogram(w.histogram);
          all.add(h);
          h.destroy();
        }
      }
      const h = decodeHistogram(row.histogram);
      expect(h.totalCount, why).toBe(all.totalCount);
      expect(row.latencyMs.count, why).toBe(all.totalCount);
      for (let p = 0; p <= 100; p += 0.5) expect(h.getValueAtPercentile(p), `${why} p${p}`).toBe(all.getValueAtPercentile(p));
      h.destroy();
      all.destroy();

      // One host, one clock: each shard's offset is 0 within its bound.
      expect(row.clock!.shards.map((c) => c.shard)).toEqual([0, 1, 2]);
      for (const c of row.clock!.shards) {
        expect(Math.abs(c.offsetUs), `${why} shard ${c.shard}`).toBeLessThanOrEqual(c.boundUs);
        // Half the smallest round trip on loopback: tens to hundreds of µs, depending on how busy the 2 cores are.
        expect(c.boundUs).toBeLessThan(5000);
      }
      process.stdout.write(
        `one host, ${row.model}: ${row.clock!.shards.map((c) => `shard ${c.shard} offset ${c.offsetUs} µs bound ${c.boundUs} µs (min rtt ${c.minRttUs} µs)`).join('; ')}; p50 ${row.latencyMs.p50} ms, count ${row.latencyMs.count}\n`,
      );
    }

    // The same from the results the shards uploaded to the server.
    const fromServer = cli(['merge', '--from', control.url, '--out', path.join(dir, 'from-server.json'), '--json'], 60_000);
    expect(fromServer.status, fromServer.stderr).toBe(0);
    expect(JSON.parse(fromServer.stdout).models.map((r: { messages: unknown }) => r.messages)).toEqual(
      result.models.map((r) => r.messages),
    );
    // A normal result: report, its thresholds and compare read it.
    expect(runCli(['report', merged, '--check']).status).toBe(0);
    expect(runCli(['compare', merged, merged]).status).toBe(0);
  }, 240_000);

  it('a shard killed mid-run: the others finish, and merge names the missing shard and will not call the result complete', async () => {
    const dir = tmp();
    const scenario = path.join(dir, 'dist.yaml');
    const killable = SCENARIO.replace('models: [websocket, tcp]', 'models: [websocket]').replace('duration: 1s', 'duration: 3s');
    writeFileSync(scenario, killable.slice(0, killable.indexOf('thresholds:')));
    const control = await startControl();
    server = control.p;
    const out = path.join(dir, 'shards');
    const running = startShards(3, { scenario, target: control.url, outDir: out, timeoutMs: 150_000 });
    // Once the barrier has let the shards go, kill shard 2's runner (its workers exit with it).
    await untilPhase(control.url, 'released', 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(running.procs[2]!.proc.pid!, 'SIGKILL');
    const shards = await running.done;
    expect(shards[0]!.status, shards[0]!.stderr).toBe(0);
    expect(shards[1]!.status, shards[1]!.stderr).toBe(0);
    expect(shards[2]!.status).toBeNull();
    const files = shardFiles(out);
    const m = runCli(['merge', ...files, '--out', path.join(dir, 'merged.json')], 60_000);
    expect(m.status, m.stderr).toBe(3);
    expect(m.stderr).toContain('shard 2 of 3 missing');
    expect(m.stderr).toContain('CB_ERR_SHARD_MISSING');
    const result = readRun(path.join(dir, 'merged.json'));
    expect(result.complete).toBe(false);
    expect(result.models[0]).toMatchObject({
      complete: false,
      shards: { merged: [0, 1], missing: [2] },
      clients: { target: 20, connected: 20 },
    });
  }, 240_000);

  it('a shard with a wrong token stops at once (exit 3), and --shard must be i/n with i < n (exit 2)', async () => {
    const control = await startControl();
    server = control.p;
    const bad = spawnCli(['run', '--models', 'tcp', '--clients', '2', '--target', control.url, '--shard', '0/2'], {
      env: { CONNBENCH_TOKEN: 'not-the-token-at-all' },
    });
    expect(await bad.exited).toBe(3);
    expect(bad.stderr()).toContain('CB_ERR_CONTROL_TOKEN');
    const r = cli(['run', '--target', control.url, '--shard', '2/2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--shard "2/2" is not i/n');
    expect(runCli(['run', '--shard', '0/2']).status).toBe(2);
  }, 60_000);
});

/** Polls the server's status (loopback, this test's own server) until its run reaches `phase`. */
async function untilPhase(url: string, phase: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await request(`${url}/control`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{"type":"status"}',
    });
    const s = (await res.body.json()) as { run?: { phase: string } };
    if (s.run?.phase === phase) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server's run did not reach ${phase} within ${timeoutMs} ms`);
}
