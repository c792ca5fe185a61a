import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli, readRun, runShards, shardFiles, startControl, stop, type Proc } from './shardHarness.js';

/**
 * Separate network stacks: the server in one network namespace, each shard in its own, joined by
 * veth pairs to a bridge in the server's namespace, with addresses from 198.18.0.0/15 (reserved
 * for benchmarks, RFC 2544). The test creates and deletes every namespace itself.
 *
 * Safety: the root namespace routes 198.18.0.0/15 to the outside world, so a process started
 * there by mistake would talk to whatever answers out there and seem to work. Every process of the
 * run is started through `ip netns exec`; before anything is sent, each namespace must route the
 * other end over its own veth or bridge with no gateway; this test process itself never connects
 * to a 198.18 address (it reads files only), and every wait is bounded.
 */
const TAG = `cb14${process.pid % 100_000}`;
const SERVER_NS = `${TAG}s`;
const SHARDS = 2;
const CLIENT_NS = Array.from({ length: SHARDS }, (_, i) => `${TAG}c${i}`);
const SERVER_ADDRESS = '198.18.0.1';
const clientAddress = (i: number) => `198.18.0.${10 + i}`;
const created: string[] = [];

function ip(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
}

function must(args: string[]): string {
  const r = ip(args);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Why namespaces cannot be created here (a probe namespace, made and deleted), or undefined. */
function refusal(): string | undefined {
  const probe = `${TAG}p`;
  const r = ip(['netns', 'add', probe]);
  if (r.status !== 0) return `ip netns add is refused here: ${r.stderr.trim()}`;
  ip(['netns', 'del', probe]);
  return undefined;
}

/** The server's namespace with bridge br0 (198.18.0.1/24), and each shard's with eth0, its veth peer on the bridge. */
function createNetwork(): void {
  created.push(SERVER_NS);
  must(['netns', 'add', SERVER_NS]);
  must(['-n', SERVER_NS, 'link', 'set', 'lo', 'up']);
  must(['-n', SERVER_NS, 'link', 'add', 'br0', 'type', 'bridge']);
  must(['-n', SERVER_NS, 'addr', 'add', `${SERVER_ADDRESS}/24`, 'dev', 'br0']);
  must(['-n', SERVER_NS, 'link', 'set', 'br0', 'up']);
  CLIENT_NS.forEach((ns, i) => {
    created.push(ns);
    must(['netns', 'add', ns]);
    must(['-n', ns, 'link', 'set', 'lo', 'up']);
    // Made inside the shard's namespace, its peer moved straight into the server's: nothing is ever in the root namespace.
    must(['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', SERVER_NS]);
    must(['-n', ns, 'addr', 'add', `${clientAddress(i)}/24`, 'dev', 'eth0']);
    must(['-n', ns, 'link', 'set', 'eth0', 'up']);
    must(['-n', SERVER_NS, 'link', 'set', `p${i}`, 'master', 'br0']);
    must(['-n', SERVER_NS, 'link', 'set', `p${i}`, 'up']);
  });
}

/** The route from `ns` to `to` must leave by `dev` itself, with no gateway. */
function expectDirectRoute(ns: string, to: string, dev: string): string {
  const route = must(['-n', ns, 'route', 'get', to]).trim();
  expect(route, `${ns} → ${to}`).toMatch(new RegExp(`\\bdev ${dev}\\b`));
  expect(route, `${ns} → ${to}`).not.toMatch(/\bvia\b/);
  return route;
}

const refused = refusal();
if (refused) process.stdout.write(`skipped: the network namespace test: ${refused}\n`);

let server: Proc | undefined;
afterAll(async () => {
  if (server) await stop(server);
  // Deleting a namespace deletes its veth ends and bridge with it.
  for (const ns of created.reverse()) ip(['netns', 'del', ns]);
});

const SCENARIO = `name: dist-netns
models: [websocket]
clients: 20
rampUp: 200ms
warmup: 500ms
duration: 1s
drainTimeout: 1500ms
workload: { pattern: broadcast, rate: 20/s, payload: 64B }
`;

describe('shards and server in separate network namespaces (198.18.0.0/15)', () => {
  it.skipIf(refused !== undefined)(
    "run over veth pairs and a bridge: every client connects from its shard's address, 0 lost, offsets 0 within their bound",
    async () => {
      const rootBefore = must(['-o', 'addr', 'show']);
      createNetwork();
      for (const [i, ns] of CLIENT_NS.entries())
        process.stdout.write(`route ${ns}: ${expectDirectRoute(ns, SERVER_ADDRESS, 'eth0')} (shard ${i})\n`);
      for (const i of CLIENT_NS.keys()) expectDirectRoute(SERVER_NS, clientAddress(i), 'br0');
      // Nothing of ours in the root namespace.
      expect(must(['-o', 'addr', 'show'])).toBe(rootBefore);

      const dir = mkdtempSync(path.join(tmpdir(), 'connbench-netns-'));
      const scenario = path.join(dir, 'netns.yaml');
      writeFileSync(scenario, SCENARIO);
      const control = await startControl({ host: SERVER_ADDRESS, wrap: ['ip', 'netns', 'exec', SERVER_NS] });
      server = control.p;
      expect(control.url).toMatch(/^http:\/\/198\.18\.0\.1:\d+$/);
      const out = path.join(dir, 'shards');
      const shards = await runShards(SHARDS, {
        scenario,
        target: control.url,
        outDir: out,
        timeoutMs: 150_000,
        wrapOf: (i) => ['ip', 'netns', 'exec', CLIENT_NS[i]!],
      });
      for (const s of shards) expect(s.status, s.stderr).toBe(0);
      const merged = path.join(dir, 'merged.json');
      // Files only, but started in the server's namespace like every other process of the run.
      const m = cli(['merge', ...shardFiles(out), '--out', merged], 60_000, ['ip', 'netns', 'exec', SERVER_NS]);
      expect(m.status, m.stderr).toBe(0);
      for (const row of readRun(merged).models) {
        expect(row.clients, row.model).toEqual({ target: 20, connected: 20, failed: 0 });
        expect(row.messages.lost, row.model).toBe(0);
        // The server's own count of where its connections came from: each shard's namespace address, half each.
        const accepted = row.processes!.find((p) => p.role === 'server')!.acceptedBySourceAddress!;
        expect(Object.keys(accepted).sort(), row.model).toEqual([clientAddress(0), clientAddress(1)]);
        expect(Object.values(accepted).every((n) => n >= 10)).toBe(true);
        for (const c of row.clock!.shards) expect(Math.abs(c.offsetUs), `${row.model} shard ${c.shard}`).toBeLessThanOrEqual(c.boundUs);
        process.stdout.write(
          `netns ${row.model}: accepted ${JSON.stringify(accepted)}, ${row.clock!.shards.map((c) => `shard ${c.shard} offset ${c.offsetUs} µs bound ${c.boundUs} µs`).join('; ')}, p50 ${row.latencyMs.p50} ms\n`,
        );
      }
    },
    240_000,
  );
});
