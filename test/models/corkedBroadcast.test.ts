import net from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { getModel } from '../../src/models/index.js';
import type { ModelId } from '../../src/models/types.js';
import { CorkBatch, type Corkable } from '../../src/models/push/corkBatch.js';
import { httpChunk } from '../../src/models/sse/server.js';
import { ClientSession } from '../../src/client/session.js';
import { nowUs } from '../../src/metrics/clock.js';
import { clientOptions, collectingSink, startHost, waitFor } from '../helpers/harness.js';

/** A socket stand-in that records what reaches it and in how many writev calls. */
class RecordingSocket extends Writable {
  readonly received: string[] = [];
  writevCalls = 0;
  writeCalls = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.writeCalls++;
    this.received.push(chunk.toString());
    cb();
  }
  override _writev(chunks: { chunk: Buffer }[], cb: () => void): void {
    this.writevCalls++;
    for (const c of chunks) this.received.push(c.chunk.toString());
    cb();
  }
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('CorkBatch', () => {
  it('flushes each socket once per turn, its writes in order, direct writes included', async () => {
    const batch = new CorkBatch<Corkable>();
    const conns = [0, 1, 2].map(() => ({ socket: new RecordingSocket(), corked: false, caughtUp: false, queueAllowanceBytes: 0 }));
    for (let m = 0; m < 50; m++) for (const c of conns) batch.write(c, Buffer.from(`m${m};`));
    // A write made straight to the socket during the turn (a ping, say) joins the same buffer.
    conns[1]!.socket.write('ping;');
    for (const c of conns) expect(c.socket.received).toEqual([]);
    await nextTurn();
    for (const [i, c] of conns.entries()) {
      const expected = Array.from({ length: 50 }, (_, m) => `m${m};`);
      if (i === 1) expected.push('ping;');
      expect(c.socket.received).toEqual(expected);
      expect(c.socket.writevCalls).toBe(1);
      expect(c.socket.writeCalls).toBe(0);
      expect(c.corked).toBe(false);
      expect(c.socket.writableCorked).toBe(0);
    }
    // The next turn corks afresh.
    batch.write(conns[0]!, Buffer.from('later;'));
    batch.write(conns[0]!, Buffer.from('again;'));
    await nextTurn();
    expect(conns[0]!.socket.received.slice(-2)).toEqual(['later;', 'again;']);
    expect(conns[0]!.socket.writevCalls).toBe(2);
  });
});

describe('httpChunk', () => {
  it('frames text as one chunk of a chunked body, sized in bytes', () => {
    expect(httpChunk('id: 1\ndata: x\n\n').toString('latin1')).toBe('f\r\nid: 1\ndata: x\n\n\r\n');
    expect(httpChunk('ü€').toString('utf8')).toBe('5\r\nü€\r\n');
  });
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each([
  ['websocket', undefined],
  ['tcp', undefined],
  ['sse', 'lean'],
  ['sse', 'reference'],
] as [ModelId, 'lean' | 'reference' | undefined][])('%s (%s client): a corked broadcast', (id, sseClient) => {
  it('delivers every message of a burst, in order, to every subscriber, with chat interleaved', async () => {
    const model = getModel(id);
    const srv = await startHost([model]);
    const sessions = Array.from(
      { length: 12 },
      (_, i) =>
        new ClientSession(
          model,
          clientOptions(model, srv, i + 1, sseClient ? { modelOptions: { client: sseClient } } : {}),
          collectingSink(),
          {
            minDelayMs: 10,
            maxDelayMs: 100,
            resume: 'cursor',
          },
        ),
    );
    cleanups.push(async () => {
      await Promise.all(sessions.map((s) => s.stop()));
      await srv.close();
    });
    await Promise.all(sessions.map((s) => s.start()));
    // Two bursts in one turn, with a message to one user between them: every write of the turn is corked together.
    srv.publish(150, 200);
    srv.host.log.append({ t: nowUs(), from: 'u9', to: 'u3', body: 'direct' });
    srv.publish(150, 200);
    await waitFor(() => sessions.every((s, i) => s.tracker.unique === (i === 2 ? 301 : 300)), 'every message at every subscriber');
    for (const s of sessions) {
      expect(s.tracker.reordered).toBe(0);
      expect(s.tracker.duplicates).toBe(0);
    }
    // A later turn still flows (nothing left corked).
    srv.publish(1);
    await waitFor(() => sessions.every((s, i) => s.tracker.unique === (i === 2 ? 302 : 301)), 'the next message');
  });
});

describe('sse server for an HTTP/1.0 client (no chunking)', () => {
  it('frames the body itself through Node, read until the connection closes', async () => {
    const srv = await startHost([getModel('sse')]);
    cleanups.push(() => srv.close());
    const socket = net.connect(srv.httpPort, '127.0.0.1');
    cleanups.push(async () => void socket.destroy());
    let text = '';
    socket.on('data', (b: Buffer) => (text += b.toString('utf8')));
    socket.write('GET /events?cursor=0 HTTP/1.0\r\nHost: x\r\n\r\n');
    await waitFor(() => text.includes('event: hello'), 'the hello');
    srv.publish(2, 8);
    await waitFor(() => text.includes('id: 2\n'), 'both messages');
    expect(text).not.toMatch(/transfer-encoding/i);
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    // Events only, no chunk-size lines between them.
    expect(
      body
        .split('\n\n')
        .filter((e) => e !== '')
        .every((e) => /^(retry|id|:)/.test(e)),
    ).toBe(true);
  });
});
