import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, runCli } from '../helpers/cli.js';
import net from 'node:net';
import { request } from 'undici';

let serve: ChildProcess | undefined;

afterEach(() => {
  if (serve?.exitCode === null) serve.kill('SIGKILL');
  serve = undefined;
});

/** Starts `connbench serve` on free ports and resolves with the endpoints it printed. */
function startServe(): Promise<{ httpPort: number; tcpPort: number }> {
  serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--tcp-port', '0', '--rate', '50/s'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no endpoints: ${out}`)), 15_000);
    serve!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const http = /short-poll\s+GET\s+http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      const tcp = /tcp\s+127\.0\.0\.1:(\d+)/.exec(out);
      if (http && tcp) {
        clearTimeout(timer);
        resolve({ httpPort: Number(http[1]), tcpPort: Number(tcp[1]) });
      }
    });
  });
}

describe('connbench serve', () => {
  it('serves every model at once and publishes at --rate', async () => {
    const { httpPort, tcpPort } = await startServe();
    const first = (await (await request(`http://127.0.0.1:${httpPort}/poll`)).body.json()) as { cursor: number };
    // A short poll from cursor 0 sees what the publisher has appended since.
    let messages: unknown[] = [];
    const deadline = Date.now() + 10_000;
    while (messages.length === 0 && Date.now() < deadline) {
      const r = (await (await request(`http://127.0.0.1:${httpPort}/poll?cursor=${first.cursor}&wait=2000`)).body.json()) as {
        messages: unknown[];
      };
      messages = r.messages;
    }
    expect(messages.length).toBeGreaterThan(0);
    const events = await request(`http://127.0.0.1:${httpPort}/events`);
    expect(events.headers['content-type']).toContain('text/event-stream');
    events.body.destroy();
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(tcpPort, '127.0.0.1', () => {
        s.destroy();
        resolve();
      });
      s.on('error', reject);
    });
    serve!.kill('SIGINT');
    const code = await new Promise<number | null>((r) => serve!.once('exit', (c) => r(c)));
    expect(code).toBe(130);
  });

  it('names a port already in use and exits 3', async () => {
    const { httpPort } = await startServe();
    const r = runCli(['serve', '--port', String(httpPort), '--tcp-port', '0'], 15_000);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`port ${httpPort}`);
    expect(r.stderr).toContain('already in use');
  });
});
