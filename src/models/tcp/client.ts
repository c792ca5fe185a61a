import type { Outgoing } from '../message.js';
import { decodeMessageBytes } from '../messageBytes.js';
import { nowUs } from '../../metrics/clock.js';
import { ConnbenchError, codeOfSocketError, transportError } from '../../util/errors.js';
import { applyTcpKeepAlive } from '../keepAlive.js';
import { SocketPushClient } from '../push/socketClient.js';
import { FrameDecoder, FrameType, type Frame } from './framing.js';
import { PONG_FRAME, clientHelloFrame, parseGap, parseServerHello, sendFrame } from './protocol.js';
import { PLAIN_TRANSPORT } from '../transport.js';

/** One raw TCP connection: HELLO out, HELLO back, then MSG and GAP frames; answers PING with PONG. */
export class TcpClient extends SocketPushClient {
  private readonly decoder = new FrameDecoder();

  connect(signal?: AbortSignal): Promise<void> {
    const connected = this.life.begin(signal);
    if (this.life.ended) return connected;
    const o = this.o;
    const bind = o.localAddress ? { localAddress: o.localAddress } : {};
    const transport = o.transport ?? PLAIN_TRANSPORT;
    const socket = transport.connect({ host: o.host, port: o.port, ...bind }, () => socket.write(clientHelloFrame(o.cursor, o.user)));
    this.socket = socket;
    applyTcpKeepAlive(socket, o.tcpKeepAliveMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.life.error(transportError(codeOfSocketError(err), err.message, err)));
    socket.on('close', () => this.life.end(nowUs()));
    return connected;
  }

  send(m: Outgoing): void {
    const socket = this.socket;
    if (!socket || socket.destroyed || !this.life.subscribed) return;
    try {
      socket.write(sendFrame(m));
    } catch (err) {
      // Too large to frame: the message is not sent, the connection lives on.
      this.life.error(err instanceof ConnbenchError ? err : transportError('CB_ERR_SEND', String(err), err));
    }
  }

  private onData(chunk: Buffer): void {
    // Any bytes prove the link alive, pings and messages alike.
    this.life.heard(nowUs());
    const { frames, error } = this.decoder.push(chunk);
    for (const frame of frames) {
      if (this.life.ended || this.socket!.destroyed) return;
      this.onFrame(frame);
    }
    if (error) this.life.abort(error);
  }

  private onFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.MSG: {
        const atUs = nowUs();
        const m = this.life.subscribed ? decodeMessageBytes(frame.body, 0, frame.body.length) : undefined;
        if (!m) return this.bad('a malformed or premature MSG');
        return this.h.onMessage(m, atUs);
      }
      case FrameType.PING: {
        this.socket!.write(PONG_FRAME);
        this.h.onHeartbeat?.(nowUs());
        return;
      }
      case FrameType.PONG:
        return;
      case FrameType.HELLO: {
        const cursor = parseServerHello(frame.body);
        if (typeof cursor !== 'number') return this.bad(cursor.invalid);
        if (this.life.subscribed) return this.bad('a second HELLO');
        return this.life.subscribedAt(cursor, nowUs());
      }
      case FrameType.GAP: {
        const gap = parseGap(frame.body);
        if ('invalid' in gap) return this.bad(gap.invalid);
        if (!this.life.subscribed) return this.bad('a GAP before its HELLO');
        return this.life.gap(gap, nowUs());
      }
      default:
        return this.bad('a SEND frame, which only clients send');
    }
  }

  private bad(what: string): void {
    this.life.abort(transportError('CB_ERR_BAD_FRAME', `the server sent ${what}`));
  }
}
