// What the reference server keeps per idle connection, by V8 heap object: the server runs in this
// process, a heap snapshot is taken before and after the client workers connect `clients` clients
// (forced GC before each), and the difference is printed per connection, largest first. With
// --owners, every object of the second snapshot (those from before the clients connected
// included, not the difference) is also grouped by what first holds it (the owner's kind and the
// edge's name: `closure <- object Object .close` is a listener), for the groups with at least one
// object per two connections: what a connection's objects belong to.
//   npm run bench (once, for the build); node --expose-gc bench/micro/serverHeapDiff.mjs tcp|websocket|sse|long-poll [clients] [--owners]
import { writeHeapSnapshot } from 'node:v8';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const owners = process.argv.includes('--owners');
const [model = 'tcp', clientsArg = '5000'] = process.argv.slice(2).filter((a) => a !== '--owners');
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

/** @typedef {Map<string, { bytes: number; count: number }>} Tally self size and count per key */

/**
 * A heap snapshot after a forced GC: self size and count per `type name`, and per owner if asked.
 * @param {boolean} withOwners
 */
function heapByKind(withOwners) {
  const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
  gc?.();
  gc?.();
  const file = writeHeapSnapshot(path.join(tmpdir(), `connbench-heap-${process.pid}-${Date.now()}.heapsnapshot`));
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  rmSync(file);
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((n) => f.indexOf(n));
  /** @param {number} node the node's index in snap.nodes */
  const kindOf = (node) => {
    const type = types[snap.nodes[node + ti]];
    // Strings and code are named by their content: one bucket per type for them.
    const name = ['object', 'closure', 'native'].includes(type) ? snap.strings[snap.nodes[node + ni]] : '';
    return `${type} ${name}`.trim();
  };
  /** @type {Tally} */
  const kinds = new Map();
  /** @type {Tally} */
  const byOwner = new Map();
  const owner = withOwners ? firstHolders(snap) : undefined;
  for (let i = 0; i < snap.nodes.length; i += f.length) {
    const kind = kindOf(i);
    add(kinds, kind, snap.nodes[i + si]);
    const held = owner?.get(i);
    if (held) add(byOwner, `${kind} <- ${kindOf(held.node)} .${held.edge}`, snap.nodes[i + si]);
  }
  return { kinds, byOwner };
}

/** @param {Tally} tally @param {string} key @param {number} bytes */
function add(tally, key, bytes) {
  const k = tally.get(key) ?? { bytes: 0, count: 0 };
  k.bytes += bytes;
  k.count++;
  tally.set(key, k);
}

/**
 * The first node, in snapshot order, that holds each node by a strong edge, with the edge's name
 * (elements and hidden edges by their kind): enough to tell whose an object is, not a full path.
 * @param {any} snap
 * @returns {Map<number, { node: number; edge: string }>}
 */
function firstHolders(snap) {
  const f = snap.snapshot.meta.node_fields;
  const ef = snap.snapshot.meta.edge_fields;
  const edgeTypes = snap.snapshot.meta.edge_types[0];
  const eci = f.indexOf('edge_count');
  const [eti, eni, eto] = ['type', 'name_or_index', 'to_node'].map((n) => ef.indexOf(n));
  /** @type {Map<number, { node: number; edge: string }>} */
  const holders = new Map();
  let e = 0;
  for (let node = 0; node < snap.nodes.length; node += f.length) {
    const edges = snap.nodes[node + eci];
    for (let k = 0; k < edges; k++, e += ef.length) {
      const type = edgeTypes[snap.edges[e + eti]];
      const to = snap.edges[e + eto];
      if (type === 'weak' || type === 'shortcut' || holders.has(to)) continue;
      holders.set(to, { node, edge: type === 'element' || type === 'hidden' ? `[${type}]` : snap.strings[snap.edges[e + eni]] });
    }
  }
  return holders;
}

const before = heapByKind(false);
const server = /** @type {any} */ ({ ports, child: undefined });
const workers = await BenchWorkers.start(s, model, server);
await new Promise((r) => setTimeout(r, 1000));
const after = heapByKind(owners);
const rows = [...after.kinds].map(([key, a]) => {
  const b = before.kinds.get(key) ?? { bytes: 0, count: 0 };
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
if (owners) {
  console.log('\nobjects of the second snapshot by what first holds them, at least one per two connections:');
  console.log('| bytes/conn | objects/conn | object <- holder .edge |');
  console.log('|---:|---:|---|');
  for (const [key, g] of [...after.byOwner]
    .filter(([, g]) => g.count >= clients / 2)
    .sort((x, y) => y[1].bytes - x[1].bytes)
    .slice(0, 40))
    console.log(`| ${(g.bytes / clients).toFixed(0)} | ${(g.count / clients).toFixed(2)} | \`${key}\` |`);
}
await workers.stop();
await host.close();
process.exit(0);
