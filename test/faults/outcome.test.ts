import { describe, expect, it } from 'vitest';
import { faultOutcome } from '../../src/runner/faults.js';
import { faultLimitProblem, planRun } from '../../src/runner/plan.js';
import { faultNotes } from '../../src/report/faultNotes.js';
import { BUCKET_US, type StormReport } from '../../src/ipc/worker.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { validateScenario } from '../../src/scenario/load.js';
import type { ModelResult } from '../../src/report/result.js';

const T0 = 1_000_000_000;
const ms = (n: number) => n * 1000;

/** A worker's report of a fault at T0 + 2 s: arrivals (µs after it) of messages scheduled in bucket k. */
const report = (latest: number[], back: { dropped: number; back: number; allBackAtUs: number | null }): StormReport => ({
  atUs: T0 + ms(2000),
  latestArrivalUs: latest,
  ...back,
});

describe('fault outcomes', () => {
  it('a stall drops nobody, yet nobody is whole before it ends: "all back" moves to its end, caught up after the backlog', () => {
    const latest = new Array(102).fill(0);
    latest[100] = ms(1012); // scheduled at +990 ms, delivered right after SIGCONT
    latest[101] = ms(1003);
    const out = faultOutcome(
      { fault: 'stall', atMs: 2000, forMs: 1000 },
      T0,
      { startedAtUs: T0 + ms(2000) + 300, endedAtUs: T0 + ms(3001), detail: { faultMs: 1000.6 } },
      [report(latest, { dropped: 0, back: 0, allBackAtUs: T0 + ms(2000) })],
    );
    expect(out).toEqual({
      fault: 'stall',
      atMs: 2000,
      lateMs: 0.3,
      faultMs: 1000.6,
      droppedClients: 0,
      backClients: 0,
      allBackMs: 1001,
      caughtUpMs: 1012,
    });
  });

  it('a drop: workers merged, the last client back sets "all back"; one still away makes both null', () => {
    const done = {
      startedAtUs: T0 + ms(2000),
      endedAtUs: T0 + ms(2001),
      detail: { fraction: 0.5, resetConnections: 10, openConnections: 20 },
    };
    const a = report([ms(40)], { dropped: 4, back: 4, allBackAtUs: T0 + ms(2030) });
    const b = report([ms(20), ms(55)], { dropped: 6, back: 6, allBackAtUs: T0 + ms(2050) });
    expect(faultOutcome({ fault: 'drop', atMs: 2000, fraction: 0.5 }, T0, done, [a, b])).toMatchObject({
      fraction: 0.5,
      resetConnections: 10,
      openConnections: 20,
      droppedClients: 10,
      backClients: 10,
      allBackMs: 50,
      caughtUpMs: 55,
      faultMs: 1,
    });
    const away = report([], { dropped: 3, back: 2, allBackAtUs: null });
    expect(faultOutcome({ fault: 'drop', atMs: 2000, fraction: 0.5 }, T0, done, [a, away])).toMatchObject({
      droppedClients: 7,
      backClients: 6,
      allBackMs: null,
      caughtUpMs: null,
    });
    expect(BUCKET_US).toBe(10_000);
  });

  it('no worker report (a fault that never struck) gives no recovery figures', () => {
    expect(faultOutcome({ fault: 'restart', atMs: 500 }, T0, undefined, [])).toEqual({
      fault: 'restart',
      atMs: 500,
      lateMs: 0,
      faultMs: 0,
      droppedClients: 0,
      backClients: 0,
      allBackMs: null,
      caughtUpMs: null,
    });
  });

  it('the table notes say per row what each fault did and how the clients came through', () => {
    const row = {
      model: 'sse',
      matrix: { 'client.resume': 'none' },
      reconnects: 250,
      messages: { lost: 1234, duplicates: 0 },
      faults: [
        {
          fault: 'drop',
          atMs: 2000,
          lateMs: 0,
          faultMs: 1,
          fraction: 0.5,
          resetConnections: 100,
          openConnections: 200,
          droppedClients: 100,
          backClients: 100,
          allBackMs: 85,
          caughtUpMs: 90,
        },
        { fault: 'stall', atMs: 3000, lateMs: 0, faultMs: 1000, droppedClients: 0, backClients: 0, allBackMs: 1000, caughtUpMs: 1012 },
        {
          fault: 'restart',
          atMs: 4500,
          lateMs: 0,
          faultMs: 420,
          logHead: 90,
          droppedClients: 200,
          backClients: 199,
          allBackMs: null,
          caughtUpMs: null,
        },
        {
          fault: 'latency',
          atMs: 6000,
          lateMs: 0,
          faultMs: 500,
          latencyMs: 100,
          jitterMs: 20,
          droppedClients: 0,
          backClients: 0,
          allBackMs: 500,
          caughtUpMs: 610,
        },
      ],
    } as unknown as ModelResult;
    const one = { ...row, model: 'tcp', matrix: {}, faults: [{ ...row.faults![0]!, droppedClients: 1, backClients: 1 }] };
    expect(faultNotes([one])[1]).toBe(
      '    drop at 2.0 s: 100 of 200 connections reset; 1 client reconnected, all back after 85.0 ms, every message caught up after 90.0 ms',
    );
    expect(faultNotes([row, { ...row, model: 'tcp', matrix: {}, faults: undefined }])).toEqual([
      '  faults, sse (client.resume none): 250 reconnects, 1,234 lost, 0 duplicated',
      '    drop at 2.0 s: 100 of 200 connections reset; 100 clients reconnected, all back after 85.0 ms, every message caught up after 90.0 ms',
      '    stall at 3.0 s: server stopped 1000 ms; every message caught up after 1012 ms',
      '    restart at 4.5 s: server down 420 ms, its log taken over at seq 90; 200 clients reconnected, 1 of them not back in time',
      '    latency at 6.0 s: +100 ms ±20.0 ms for 500 ms (the proxy was in the path for the whole run); every message caught up after 610 ms',
    ]);
  });

  it('a latency fault refuses a run its proxy cannot hold in the runner, with the numbers', () => {
    const point = (clients: number, fault: object) => expandMatrix(validateScenario({ clients, faults: [fault as never] }))[0]!;
    const latency = { fault: 'latency', at: '1s', latency: '10ms', for: '1s' };
    expect(faultLimitProblem(point(9000, latency), 20_000)).toBeUndefined();
    expect(faultLimitProblem(point(9500, latency), 20_000)).toEqual({
      what: "a latency fault puts a proxy in the runner's process: 9500 connections need 19000 sockets there, but it may hold about 18000",
      remedy: 'use at most 9000 connections (clients × sockets per client) with a latency fault, or drop the latency fault',
    });
    // The plan refuses it before anything starts, as it does any other socket shortfall (exit 3).
    expect(() => planRun(point(9500, latency), { openFilesLimit: 20_000 })).toThrow(/a latency fault puts a proxy in the runner's process/);
    expect(() => planRun(point(9000, latency), { openFilesLimit: 20_000 })).not.toThrow();
    // Without a latency fault there is no proxy.
    expect(faultLimitProblem(point(9500, { fault: 'restart', at: '1s' }), 20_000)).toBeUndefined();
  });
});
