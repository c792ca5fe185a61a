// Summarises V8 CPU profiles (the .cpuprofile files `node --cpu-prof` writes): self time by
// function, the top N, with (garbage collector), (program) and (idle) as V8 names them.
//   node bench/micro/profileSummary.mjs DIR|FILE... [--top N] [--match NAME] [--from US --to US]
// --match keeps the profiles whose main script path contains NAME (worker.js, main.js); --from and
// --to keep the samples between two monotonic microsecond times (V8 stamps samples with the same
// clock as src/metrics/clock.ts; broadcastProfile.mjs prints the burst's).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const top = Number(args[args.indexOf('--top') + 1] ?? 15) || 15;
const match = args.includes('--match') ? args[args.indexOf('--match') + 1] : undefined;
const option = (/** @type {string} */ name) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
const fromUs = option('--from') ?? -Infinity;
const toUs = option('--to') ?? Infinity;
const inputs = args.filter((a, i) => !a.startsWith('--') && !['--top', '--match', '--from', '--to'].includes(args[i - 1] ?? ''));
const files = inputs.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(p, f))
    : [p],
);

/** @typedef {{ id: number; hitCount: number; callFrame: { functionName: string; url: string; lineNumber: number } }} ProfileNode */
/** @type {Map<string, number>} */
const selfUs = new Map();
let totalUs = 0;
let used = 0;
for (const file of files) {
  /** @type {{ nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number }} */
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const scripts = new Set(profile.nodes.map((n) => n.callFrame.url));
  if (match && ![...scripts].some((u) => u.includes(match))) continue;
  used++;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Self time from the sample stream: each sample is charged the time until the next one.
  let atUs = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    atUs += profile.timeDeltas[i] ?? 0;
    if (atUs < fromUs || atUs > toUs) continue;
    const node = /** @type {ProfileNode} */ (byId.get(/** @type {number} */ (profile.samples[i])));
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const f = node.callFrame;
    const where = f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
    totalUs += dt;
  }
}
const busyUs = totalUs - (selfUs.get('(idle)') ?? 0);
console.log(`${used} profile(s), ${(totalUs / 1000).toFixed(0)} ms sampled, ${(busyUs / 1000).toFixed(0)} ms not idle`);
console.log('| self ms | % of busy | function |');
console.log('|---:|---:|---|');
for (const [key, us] of [...selfUs]
  .filter(([k]) => k !== '(idle)')
  .sort((a, b) => b[1] - a[1])
  .slice(0, top))
  console.log(`| ${(us / 1000).toFixed(1)} | ${((100 * us) / busyUs).toFixed(1)} | \`${key}\` |`);
