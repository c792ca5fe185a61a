// The servers the libraries give alone, against the bare `net` server: RSS and heap per idle
// connection of a `ws` WebSocketServer, a `node:http` event-stream server and a `node:http` server
// holding each poll (bench/floors/libServer.js), each connection opened by a bare client with the
// request connbench's own client sends, sampled as the bench samples its floors. What a reference
// server holds beyond its library is connbench's; what the library holds beyond `net` any server
// written with it pays.
//   npm run bench (once, for the build); node bench/micro/libServers.mjs [connections] [rounds]
const dist = (/** @type {string} */ p) => new URL(`../../${p}`, import.meta.url).href;
const { libServerMemory, netFloorMemory } = await import(dist('dist-bench/figures/memory.js'));

const connections = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 1);
console.log(`${connections} connections; bytes per connection, RSS (heap), and RSS × the bare net server of the same round`);
console.log('| round | net | ws | sse (node:http) | long-poll (node:http) |');
console.log('|---:|---:|---:|---:|---:|');
for (let round = 1; round <= rounds; round++) {
  const net = await netFloorMemory(connections);
  const cells = [`${net.serverBytes} (${net.serverHeapBytes})`];
  for (const kind of ['websocket', 'sse', 'long-poll']) {
    const lib = await libServerMemory(kind, connections);
    cells.push(`${lib.serverBytes} (${lib.serverHeapBytes}) ${(lib.serverBytes / net.serverBytes).toFixed(2)} ×`);
  }
  console.log(`| ${round} | ${cells.join(' | ')} |`);
}
