import { MAX_MESSAGE_BYTES, type Outgoing } from '../message.js';
import { nowUs } from '../../metrics/clock.js';
import { codeOfSocketError, transportError } from '../../util/errors.js';
import { MAX_ERROR_BODY_BYTES, errorOfResponse } from '../http/errorOfResponse.js';
import { applyTcpKeepAlive } from '../keepAlive.js';
import { SocketPushClient } from '../push/socketClient.js';
import { sendText } from './protocol.js';
import { MAX_HANDSHAKE_HEAD_BYTES, handshakeProblem, newKey, parseHead, upgradeRequest } from './handshake.js';
import { Opcode, closePayload, maskedFrame, type FrameViolation, type ServerFrameHandlers } from './frames.js';
import { ServerFrameDecoder } from './frameDecoder.js';
import { badFrame, onServerBytes } from './serverText.js';
import { PLAIN_TRANSPORT } from '../transport.js';

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * The lean websocket client: one raw `net` socket, the RFC 6455 client handshake (with the
 * Sec-WebSocket-Accept check), masked frames out, server frames decoded in batches
 * (ServerFrameDecoder), pings answered, close answered. It behaves as the `ws`-based client
 * (client.ts) does in every conformance test (test/models/websocket-tcp.test.ts runs both), with
 * less work per delivery (docs/benchmarks.md, The lean websocket client); the runner uses it where
 * many clients run.
 */
export class LeanWebsocketClient extends SocketPushClient implements ServerFrameHandlers {
  private readonly key = newKey();
  /** Handshake bytes that arrived without the end of the head yet. */
  private head: Buffer | undefined;
  private decoder: ServerFrameDecoder | undefined;
  /** A refused upgrade: its status and body, read for the server's error code. */
  private refusal: { status: number; chunks: Buffer[]; bytes: number; length: number } | undefined;
  /** When the chunk being decoded arrived: every frame in it arrived then (parsing is the client's cost, not latency). */
  private chunkAtUs = 0;

  connect(signal?: AbortSignal): Promise<void> {
    if (this.socket) return Promise.reject(transportError('CB_ERR_CONNECT', 'connect() may be called once per websocket client'));
    const connected = this.life.begin(signal);
    if (this.life.ended) return connected;
    const o = this.o;
    let path = `/ws?user=${encodeURIComponent(o.user)}`;
    if (o.cursor !== null) path += `&cursor=${o.cursor}`;
    const transport = o.transport ?? PLAIN_TRANSPORT;
    // Ready: connected, and over TLS the handshake done.
    const socket = transport.connect({ host: o.host, port: o.port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) }, () => {
      applyTcpKeepAlive(socket, o.tcpKeepAliveMs);
      socket.write(upgradeRequest(path, `${o.host}:${o.port}`, this.key));
    });
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onSocketEnd());
    socket.on('error', (err) => this.life.error(transportError(codeOfSocketError(err), err.message, err)));
    socket.on('close', () => this.life.end(nowUs()));
    return connected;
  }

  send(m: Outgoing): void {
    if (this.decoder && !this.life.ended) this.socket!.write(maskedFrame(Opcode.TEXT, Buffer.from(sendText(m))));
  }

  // ---- server frames (ServerFrameHandlers) ----

  onText(bytes: Buffer): void {
    if (!this.life.ended) onServerBytes(this.life, this.h, bytes, this.chunkAtUs);
  }

  onBinary(): void {
    if (!this.life.ended) badFrame(this.life, 'a frame that is not a JSON object in a text frame');
  }

  onPing(payload: Buffer): void {
    if (this.life.ended) return;
    this.socket!.write(maskedFrame(Opcode.PONG, payload));
    this.h.onHeartbeat?.(this.chunkAtUs);
  }

  onPong(): void {
    // We send no pings: an unasked pong only proves the link alive, which onData noted.
  }

  /** The server closes: echo its code (§5.5.1) and end our side; the socket's close ends the lifecycle. */
  onClose(code: number | undefined): void {
    this.socket!.end(maskedFrame(Opcode.CLOSE, code === undefined ? Buffer.alloc(0) : closePayload(code)));
  }

  // ---- internals ----

  private onData(chunk: Buffer): void {
    // Any byte proves the link alive: frames, pings and the handshake alike.
    this.chunkAtUs = nowUs();
    this.life.heard(this.chunkAtUs);
    if (this.decoder) {
      const violation = this.decoder.push(chunk);
      if (violation) this.violated(violation);
    } else if (this.refusal) this.readRefusal(chunk);
    else this.readHandshake(chunk);
  }

  private readHandshake(chunk: Buffer): void {
    const bytes = this.head ? Buffer.concat([this.head, chunk]) : chunk;
    this.head = undefined;
    const end = bytes.indexOf(HEAD_END);
    if (end === -1) {
      if (bytes.length > MAX_HANDSHAKE_HEAD_BYTES)
        return this.protocolError(`a handshake head longer than ${MAX_HANDSHAKE_HEAD_BYTES} bytes`);
      this.head = Buffer.from(bytes);
      return;
    }
    const head = parseHead(bytes.toString('latin1', 0, end));
    const rest = bytes.subarray(end + HEAD_END.length);
    if ('invalid' in head) return this.protocolError(head.invalid);
    if (head.status !== 101) {
      const length = Number(head.headers['content-length'] ?? Infinity);
      this.refusal = { status: head.status, chunks: [], bytes: 0, length: Number.isFinite(length) ? length : Infinity };
      return this.readRefusal(rest);
    }
    const problem = handshakeProblem(head, this.key);
    if (problem) return this.protocolError(`an upgrade answer with ${problem}`);
    this.decoder = new ServerFrameDecoder(this, MAX_MESSAGE_BYTES);
    if (rest.length > 0) this.onData(rest);
  }

  private readRefusal(chunk: Buffer): void {
    const r = this.refusal!;
    if (r.bytes < MAX_ERROR_BODY_BYTES) r.chunks.push(Buffer.from(chunk));
    r.bytes += chunk.length;
    if (r.bytes >= r.length) this.refused();
  }

  /** The server answered the upgrade with an HTTP error: connect() rejects with the code it names. */
  private refused(): void {
    const r = this.refusal!;
    const text = Buffer.concat(r.chunks).toString('utf8', 0, Math.min(r.bytes, r.length));
    this.life.abort(errorOfResponse(r.status, text, `the server refused the WebSocket upgrade with HTTP ${r.status}`));
  }

  /** The server closed its side (FIN): a refusal without a length ends here; anything else ends with the socket's close. */
  private onSocketEnd(): void {
    if (!this.terminated && this.refusal) this.refused();
  }

  /** The server broke the framing: say why in a close frame, then cut the connection. */
  private violated(v: FrameViolation): void {
    if (this.life.ended) return;
    this.socket!.write(maskedFrame(Opcode.CLOSE, closePayload(v.closeCode)));
    this.life.abort(transportError('CB_ERR_PROTOCOL', v.message));
  }

  private protocolError(what: string): void {
    this.life.abort(transportError('CB_ERR_PROTOCOL', `the server sent ${what}`));
  }
}
