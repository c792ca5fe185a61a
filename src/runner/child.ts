import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runError, ConnbenchError } from '../util/errors.js';
import type { Correlated } from '../ipc/common.js';

/** Path of a built entry script under dist/, from src/ (tests) and dist/ (the CLI) alike. */
export function distEntry(relative: string): string {
  return fileURLToPath(new URL(`../../dist/${relative}`, import.meta.url));
}

type Typed = { type: string };

/** How long the runner waits for a child's reply to a control message (start, sample, cursors, a fault). */
export const CONTROL_TIMEOUT_MS = 30_000;

/** Every child the runner has forked and not yet seen exit: stopped on the way out, whatever happens. */
const live = new Set<ChildProcess>();
/** Process groups of other programs the runner started (an intermediary, its workers): stopped with the rest. */
const groups = new Set<number>();

/** Kills group `pgid` with the other children on the way out, until the returned function is called. */
export function killGroupOnExit(pgid: number): () => void {
  groups.add(pgid);
  return () => void groups.delete(pgid);
}

/** Kills every process group registered with killGroupOnExit (an intermediary that is still running). */
export function killProcessGroups(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const g of groups) {
    try {
      process.kill(-g, signal);
    } catch {
      /* already gone */
    }
  }
}

export function killAllChildren(signal: NodeJS.Signals = 'SIGKILL'): void {
  killProcessGroups(signal);
  for (const c of live) {
    // SIGCONT first: a child stopped by a stall fault cannot act on anything else.
    try {
      c.kill('SIGCONT');
      c.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** A reply awaited: to the request with `id`, or (no id) the next notification of `type`. */
interface Waiter {
  id: number | undefined;
  type: string;
  resolve: (m: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * A forked child with typed IPC: `request` sends a message with an id and waits for the reply with
 * that id (src/ipc/common.ts, Correlated); `waitFor` waits for a notification of a type. If the
 * child dies first, every wait rejects with an error naming the process, its exit and the last
 * lines it printed.
 */
export class Child<In extends Typed, Out extends Typed> {
  readonly proc: ChildProcess;
  readonly label: string;
  private stderrTail = '';
  private exited: ConnbenchError | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly listeners: ((m: Out) => void)[] = [];
  private expectExit = false;
  private nextId = 1;
  private readonly signal: AbortSignal | undefined;

  /** `signal` interrupts the run: every wait on this child then rejects with CB_ERR_INTERRUPTED at once. */
  constructor(entry: string, label: string, signal?: AbortSignal) {
    this.label = label;
    this.signal = signal;
    this.proc = fork(distEntry(entry), [], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group: Ctrl-C reaches the runner only, which stops its children in order.
      // Sharing the terminal's group, a child still loading (its SIGINT handler not yet installed)
      // would die of it. A child whose runner dies exits when the IPC channel closes.
      detached: true,
    });
    live.add(this.proc);
    // A send to a child that just died fails with EPIPE as an 'error' event; 'exit' reports the death.
    this.proc.on('error', () => undefined);
    this.proc.stdout?.on('data', () => undefined);
    this.proc.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    this.proc.on('message', (m: Out & Correlated) => this.received(m));
    this.proc.on('exit', (code, sig) => this.onExit(code, sig));
    if (signal) {
      // A reply can be a whole phase away (a ramp, a drain): an interrupted run does not wait for it.
      const onAbort = () => this.rejectAll(this.interrupted());
      signal.addEventListener('abort', onAbort, { once: true });
      this.proc.once('exit', () => signal.removeEventListener('abort', onAbort));
    }
  }

  private received(m: Out & Correlated): void {
    if (m.type === 'error') {
      const e = m as unknown as { code: string; message: string; hint?: string };
      const err = new ConnbenchError(e.code, `${this.label}: ${e.message}`, { kind: 'run', ...(e.hint ? { hint: e.hint } : {}) });
      // The answer to one request fails that request; one without an id is the whole process failing.
      const failed = m.id === undefined ? [...this.waiters] : [...this.waiters].filter((w) => w.id === m.id);
      for (const w of failed) {
        this.waiters.delete(w);
        w.reject(err);
      }
      return;
    }
    for (const l of this.listeners) l(m);
    for (const w of [...this.waiters]) {
      if (m.id !== undefined ? w.id !== m.id : w.id !== undefined || w.type !== m.type) continue;
      this.waiters.delete(w);
      if (w.type === m.type) w.resolve(m);
      else w.reject(runError('CB_ERR_CHILD_PROTOCOL', `${this.label} answered "${m.type}" where "${w.type}" was due`));
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    live.delete(this.proc);
    if (this.expectExit) return;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = this.stderrTail.trim().split('\n').slice(-5).join('\n');
    this.exited = runError(
      'CB_ERR_CHILD_EXITED',
      `${this.label} (pid ${this.proc.pid}) ${how}${tail ? `:\n${tail}` : ''}`,
      signal === 'SIGKILL' ? 'the machine may be out of memory: try fewer clients' : undefined,
    );
    this.rejectAll(this.exited);
  }

  private rejectAll(e: Error): void {
    for (const w of this.waiters) w.reject(e);
    this.waiters.clear();
  }

  private interrupted(): ConnbenchError {
    return runError('CB_ERR_INTERRUPTED', `${this.label}: the run was interrupted`);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Every message from the child, replies and notifications alike (progress, say). */
  onMessage(l: (m: Out) => void): void {
    this.listeners.push(l);
  }

  send(m: In): void {
    if (this.exited) throw this.exited;
    if (this.proc.connected) this.proc.send(m, sendFailed);
  }

  /** Waits for the next notification (a message without an id) of `type`; register before it can arrive. */
  waitFor<T extends Out['type']>(type: T, timeoutMs: number, what: string): Promise<Extract<Out, { type: T }>> {
    return this.wait(undefined, type, timeoutMs, what);
  }

  /** Sends `m` with a fresh id and waits for the child's reply to it, which must be of type `reply`. */
  request<T extends Out['type']>(m: In, reply: T, timeoutMs: number, what: string): Promise<Extract<Out, { type: T }>> {
    // A child already gone: reject, rather than throw from send() and leave the wait unhandled.
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    const p = this.wait(id, reply, timeoutMs, what);
    this.send({ ...m, id });
    return p;
  }

  private wait<T extends Out['type']>(
    id: number | undefined,
    type: T,
    timeoutMs: number,
    what: string,
  ): Promise<Extract<Out, { type: T }>> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.signal?.aborted) return Promise.reject(this.interrupted());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(
          runError('CB_ERR_CHILD_TIMEOUT', `${this.label} (pid ${this.proc.pid}) did not ${what} within ${Math.round(timeoutMs / 1000)} s`),
        );
      }, timeoutMs);
      const w: Waiter = {
        id,
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<Out, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.add(w);
    });
  }

  /** Asks the child to exit with `goodbye`, then kills it if it has not gone within graceMs. */
  async stop(goodbye: In | undefined, graceMs = 3000): Promise<void> {
    this.expectExit = true;
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    try {
      if (goodbye && this.proc.connected) this.proc.send(goodbye, sendFailed);
      else this.proc.kill('SIGTERM');
    } catch {
      /* channel closed: the kill below handles it */
    }
    const timer = setTimeout(() => {
      this.proc.kill('SIGCONT');
      this.proc.kill('SIGKILL');
    }, graceMs);
    await gone;
    clearTimeout(timer);
  }
}

/** A failed IPC send (the child is gone): its 'exit' rejects the waits with the reason. */
function sendFailed(): void {}
