// What the reference server keeps per idle connection, by V8 heap object: the server runs in this
// process, a heap snapshot is taken before and after the client workers connect `clients` clients
// (forced GC before each), and the difference is printed per connection, largest first.
//   npm run bench (once, for the build); node --expose-gc bench/micro/serverHeapDiff.mjs tcp|websocket|sse|long-poll [clients]
import { writeHeapSnapshot } from 'node:v8';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const [model = 'tcp', clientsArg = '5000'] = process.argv.slice(2);
const clients = Number(clientsArg);
const dist = (/** @type {string} */ p) => new URL(`../../${p}`, import.meta.url).href;
const { ReferenceHost } = await import(dist('dist/server/host.js'));
const { getModel } = await import(dist('dist/models/index.js'));
const { BenchWorkers } = await import(dist('dist-bench/fleet.js'));
const { benchScenario, QUIET_HEARTBEAT } = await import(dist('dist-bench/scenario.js'));
const { startMessageOf } = await import(dist('dist/runner/serverGroup.js'));

const s = benchScenario({ models: [model], clients, rampUp: '2500ms', workload: { pattern: 'idle' }, heartbeat: QUIET_HEARTBEAT });
const start = startMessageOf(s, model);
const host = new ReferenceHost({
  host: start.host,
  ports: { [getModel(model).listener]: 0 },
  retention: start.retention,
  settings: start.settings,
  maxConnections: 60_000,
});
for (const { id, options } of start.models) host.attach(getModel(id).createServer(options));
const ports = await host.listen();

/** Self size and count per `type name` of every heap object, after a forced GC. */
function heapByKind() {
  const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
  gc?.();
  gc?.();
  const file = writeHeapSnapshot(path.join(tmpdir(), `connbench-heap-${process.pid}-${Date.now()}.heapsnapshot`));
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  rmSync(file);
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((n) => f.indexOf(n));
  /** @type {Map<string, { bytes: number; count: number }>} */
  const kinds = new Map();
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const type = types[snap.nodes[i + ti]];
    // Strings and code are named by their content: one bucket per type for them.
    const name = ['object', 'closure', 'native'].includes(type) ? snap.strings[snap.nodes[i + ni]] : '';
    const key = `${type} ${name}`.trim();
    const k = kinds.get(key) ?? { bytes: 0, count: 0 };
    k.bytes += snap.nodes[i + si];
    k.count++;
    kinds.set(key, k);
  }
  return kinds;
}

const before = heapByKind();
const server = /** @type {any} */ ({ ports, child: undefined });
const workers = await BenchWorkers.start(s, model, server);
await new Promise((r) => setTimeout(r, 1000));
const after = heapByKind();
const rows = [...after].map(([key, a]) => {
  const b = before.get(key) ?? { bytes: 0, count: 0 };
  return { key, bytes: (a.bytes - b.bytes) / clients, count: (a.count - b.count) / clients };
});
const total = rows.reduce((x, r) => x + r.bytes, 0);
console.log(`${model}: ${clients} connections, ${host.openConnections} open at the server; heap ${total.toFixed(0)} B per connection`);
console.log('| bytes/conn | objects/conn | heap object |');
console.log('|---:|---:|---|');
for (const r of rows
  .filter((x) => Math.abs(x.bytes) >= 8)
  .sort((x, y) => y.bytes - x.bytes)
  .slice(0, 25))
  console.log(`| ${r.bytes.toFixed(0)} | ${r.count.toFixed(2)} | \`${r.key}\` |`);
await workers.stop();
await host.close();
process.exit(0);
