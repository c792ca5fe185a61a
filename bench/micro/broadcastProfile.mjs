// The bench's broadcast (5000 clients, a burst of 100 messages of 128 B) of one model, with every
// server and worker process under `--cpu-prof`, profiles written to DIR:
//   npm run bench (once, for the build); node bench/micro/broadcastProfile.mjs websocket|sse DIR
// then: node bench/micro/profileSummary.mjs DIR --match worker.js   (or main.js for the server)
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const [model = 'websocket', dir = 'profiles'] = process.argv.slice(2);
// Only the children, and without a change to the runner: every fork gets --cpu-prof added to the
// execArgv it asks for (NODE_OPTIONS may not carry --cpu-prof).
const forkAsAsked = childProcess.fork;
/** @type {any} */ (childProcess).fork = (
  /** @type {string} */ modulePath,
  /** @type {string[]} */ args,
  /** @type {import('node:child_process').ForkOptions} */ options,
) => forkAsAsked(modulePath, args, { ...options, execArgv: [...(options?.execArgv ?? []), '--cpu-prof', `--cpu-prof-dir=${dir}`] });
syncBuiltinESMExports();
// The built bench, found at run time (tsc -p bench would otherwise take it as an input).
const built = new URL('../../dist-bench/figures/broadcast.js', import.meta.url).href;
const { modelBroadcast } = await import(built);
const r = await modelBroadcast({ clients: 5000, messages: 100, payloadBytes: 128, rampUpMs: 2500 }, model);
console.log(JSON.stringify({ model, ...r }));
process.exit(0);
