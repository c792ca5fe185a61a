import { describe, expect, it } from 'vitest';
import type { Writable } from 'node:stream';
import * as ws from 'ws';
import { gapText, helloText, parseClientText, parseControl, sendText, textFrame } from '../../src/models/websocket/protocol.js';

// ws exports its Receiver and Sender, but @types/ws does not declare them: the little used here.
const { Receiver, Sender } = ws as unknown as {
  Receiver: new (o: { isServer: boolean }) => Writable;
  Sender: { frame(data: Buffer, o: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};

const PAYLOADS = ['', 'a', 'x'.repeat(125), 'x'.repeat(126), 'é'.repeat(63), 'x'.repeat(65535), 'x'.repeat(65536), '😀'.repeat(20_000)];

/** Decodes server frames with ws's own receiver, fed in the given chunks. */
function receive(chunks: Buffer[]): string[] {
  const texts: string[] = [];
  const receiver = new Receiver({ isServer: false });
  receiver.on('message', (data: Buffer, isBinary: boolean) => texts.push(isBinary ? '<binary>' : data.toString('utf8')));
  receiver.on('error', (err: Error) => texts.push(`<error ${err.message}>`));
  for (const c of chunks) receiver.write(c);
  return texts;
}

describe('websocket textFrame', () => {
  it('builds the same bytes as ws for every header size', () => {
    for (const p of PAYLOADS) {
      const ours = textFrame(p);
      const theirs = Buffer.concat(Sender.frame(Buffer.from(p), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
      expect(ours.equals(theirs), `payload of ${Buffer.byteLength(p)} bytes`).toBe(true);
    }
  });

  it('is decoded by ws split at every byte position', () => {
    const texts = ['{"seq":1,"t":2,"body":"x"}', 'é€😀'.repeat(50), '', 'y'.repeat(130)];
    const stream = Buffer.concat(texts.map(textFrame));
    expect(receive([stream])).toEqual(texts);
    for (let i = 0; i <= stream.length; i++) expect(receive([stream.subarray(0, i), stream.subarray(i)])).toEqual(texts);
  });
});

describe('websocket control frames', () => {
  it('round-trips hello and gap', () => {
    expect(parseControl(JSON.parse(helloText(42)))).toEqual({ type: 'hello', cursor: 42 });
    expect(parseControl(JSON.parse(gapText({ fromSeq: 3, toSeq: 9 })))).toEqual({ type: 'gap', gap: { fromSeq: 3, toSeq: 9 } });
  });

  it('rejects malformed control frames with a reason', () => {
    expect(parseControl({ type: 'hello', cursor: -1 })).toHaveProperty('invalid');
    expect(parseControl({ type: 'hello', cursor: 1.5 })).toHaveProperty('invalid');
    expect(parseControl({ type: 'gap', fromSeq: 9, toSeq: 3 })).toHaveProperty('invalid');
    expect(parseControl({ type: 'nope' })).toHaveProperty('invalid');
  });

  it('parses a chat send and refuses anything else', () => {
    const m = { to: 'u3', t: 123, body: 'hi "there"' };
    expect(parseClientText(sendText(m))).toEqual(m);
    expect(parseClientText('not json')).toHaveProperty('invalid');
    expect(parseClientText('{"type":"hello","cursor":1}')).toHaveProperty('invalid');
    expect(parseClientText('{"type":"send","to":3,"t":1,"body":""}')).toHaveProperty('invalid');
    expect(parseClientText('null')).toHaveProperty('invalid');
  });
});
