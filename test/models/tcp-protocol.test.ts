import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameType } from '../../src/models/tcp/framing.js';
import {
  clientHelloFrame,
  gapFrame,
  parseClientHello,
  parseGap,
  parseServerHello,
  sendFrame,
  serverHelloFrame,
} from '../../src/models/tcp/protocol.js';

/** The one frame in `buf`'s body. */
function only(buf: Buffer) {
  const { frames, error } = new FrameDecoder().push(buf);
  expect(error).toBeUndefined();
  expect(frames).toHaveLength(1);
  return frames[0]!;
}
const body = (json: string) => Buffer.from(json);

describe('tcp protocol bodies', () => {
  it('round-trips the client HELLO, with and without a cursor', () => {
    const a = only(clientHelloFrame(null, 'u3'));
    expect(a.type).toBe(FrameType.HELLO);
    expect(parseClientHello(a.body)).toEqual({ cursor: null, user: 'u3' });
    expect(parseClientHello(only(clientHelloFrame(17, 'u"q')).body)).toEqual({ cursor: 17, user: 'u"q' });
    expect(parseClientHello(body('{}'))).toEqual({ cursor: null, user: undefined });
  });

  it('refuses a HELLO with a bad cursor or user', () => {
    for (const bad of ['{"cursor":-1}', '{"cursor":1.5}', '{"cursor":"5"}', '{"cursor":true}', '{"cursor":1,"user":7}', '[]', 'nope', ''])
      expect(parseClientHello(body(bad)), bad).toHaveProperty('invalid');
  });

  it('round-trips the server HELLO and GAP, and refuses malformed ones', () => {
    expect(parseServerHello(only(serverHelloFrame(9)).body)).toBe(9);
    expect(parseGap(only(gapFrame({ fromSeq: 1, toSeq: 4 })).body)).toEqual({ fromSeq: 1, toSeq: 4 });
    expect(parseServerHello(body('{"cursor":null}'))).toHaveProperty('invalid');
    expect(parseGap(body('{"fromSeq":5,"toSeq":4}'))).toHaveProperty('invalid');
  });

  it('frames a SEND body the server can read as a chat send', () => {
    const f = only(sendFrame({ to: 'u2', t: 5, body: 'hé' }));
    expect(f.type).toBe(FrameType.SEND);
    expect(JSON.parse(f.body.toString('utf8'))).toEqual({ to: 'u2', t: 5, body: 'hé' });
  });
});
