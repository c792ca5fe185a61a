import { describe, expect, it } from 'vitest';
import { runBench } from '../../bench/bench.js';
import { SMOKE } from '../../bench/sizes.js';
import { existsSync, readFileSync } from 'node:fs';
import { renderFigures } from '../../bench/render.js';

/**
 * Every bench step once with tiny sizes and one model per kind of run, through the same processes
 * `npm run bench` forks. Only that each figure is measured is checked: speed lives in the bench.
 */
describe('npm run bench, scaled down', () => {
  it('measures every figure against its floor or peer', async () => {
    const r = await runBench(SMOKE, {
      command: 'smoke test',
      // sse with the lean client: its scenario setting travels to the worker like any other.
      memoryRuns: [{ model: 'sse', sseClient: 'lean' }],
      sseAlone: ['lean'],
      latencyRuns: [{ model: 'tcp' }],
      broadcastModels: ['websocket'],
      tlsModels: ['tcp'],
    });
    expect(r.failures).toEqual([]);
    expect(r.figures.map((f) => f.id)).toEqual([
      'short-poll.requestsPerSec',
      'client.rssPerConnection.sse.lean.alone',
      'server.rssPerConnection.sse',
      'client.rssPerConnection.sse.lean',
      'latency.p50.tcp',
      'latency.p50.500.tcp',
      'server.publishLag.p99.50',
      'server.publishLag.p99.200',
      'broadcast.deliveriesPerSec.websocket',
      'client.histogramCpuShare',
      'tls.server.rssPerConnection.tcp',
      'tls.client.rssPerConnection.tcp',
    ]);
    for (const f of r.figures) {
      // Memory per connection over 20 connections is noise and may come out at or below zero.
      if (f.unit !== 'bytes/connection') expect(f.measured, f.id).toBeGreaterThan(0);
      expect(Number.isFinite(f.measured) && Number.isFinite(f.floor), f.id).toBe(true);
    }
    const broadcast = r.figures.find((f) => f.id.startsWith('broadcast'))!;
    expect(broadcast.details).toMatchObject({ delivered: 20 * 5, lost: 0 });
    // Three floor-then-model pairs, and the figure is the one with the median ratio.
    const ratios = String(broadcast.details.pairRatios).split(' / ').map(Number);
    expect(ratios).toHaveLength(3);
    expect(broadcast.ratio).toBeCloseTo([...ratios].sort((a, b) => a - b)[1]!, 2);
    // A library's server figure carries the bare library server measured beside it.
    const sseServer = r.figures.find((f) => f.id === 'server.rssPerConnection.sse')!;
    expect(sseServer.details.bareLibraryServerBytes).toEqual(expect.any(Number));
    expect(sseServer.explain?.why).toContain('a bare `node:http` event-stream server (the library alone');
    // The latency floor is the lower of the two taken around the model's runs.
    const latency = r.figures.find((f) => f.id === 'latency.p50.tcp')!;
    const { floorBeforeP50Us, floorAfterP50Us } = latency.details as { floorBeforeP50Us: number; floorAfterP50Us: number };
    expect(latency.floor * 1000).toBeCloseTo(Math.min(floorBeforeP50Us, floorAfterP50Us), 6);
    // The server's handoff travels from the server process to the figure, in both sets of latency runs.
    for (const id of ['latency.p50.tcp', 'latency.p50.500.tcp']) {
      const details = r.figures.find((f) => f.id === id)!.details;
      expect(details.publishHandoffP50Us, id).toEqual(expect.any(Number));
      expect(details.publishHandoffP50Us, id).toBeGreaterThanOrEqual(details.publishLagP50Us as number);
    }
    expect(renderFigures(r.figures).split('\n')).toHaveLength(2 + r.figures.length);
    // A miss names where to look closer: a section that docs/benchmarks.md has, a script the repository has.
    const headings = new Set(
      readFileSync('docs/benchmarks.md', 'utf8')
        .split('\n')
        .filter((line) => /^#{2,3} /.test(line))
        .map((line) => line.replace(/^#+ /, '')),
    );
    for (const f of r.figures) {
      expect(headings, f.id).toContain(f.explain?.docs);
      for (const script of f.explain?.profile?.match(/bench\/micro\/\S+\.mjs/g) ?? []) expect(existsSync(script), script).toBe(true);
    }
    // About 45 s alone: every step runs child processes, which take longer while other files keep
    // both cores busy.
  }, 150_000);
});
