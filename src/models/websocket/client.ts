import type { IncomingMessage } from 'node:http';
import type { WebSocket, RawData } from 'ws';
import type { Outgoing } from '../message.js';
import { nowUs } from '../../metrics/clock.js';
import { codeOfSocketError, transportError } from '../../util/errors.js';
import { MAX_ERROR_BODY_BYTES, errorOfResponse } from '../http/errorOfResponse.js';
import { MAX_MESSAGE_BYTES } from '../message.js';
import { applyTcpKeepAlive } from '../keepAlive.js';
import { PushClient } from '../push/pushClient.js';
import { sendText, textOf } from './protocol.js';
import { badFrame, onServerText } from './serverText.js';
import { wsOrigin } from '../transport.js';
import { lazyPackage } from '../../util/lazyPackage.js';

const wsPackage = lazyPackage<typeof import('ws')>('ws');

/** One WebSocket connection: hello, then messages and gaps; answers pings (ws does) and watches for silence. */
export class WebsocketClient extends PushClient {
  private ws: WebSocket | undefined;

  protected cut(): boolean {
    this.ws?.terminate();
    return this.ws !== undefined;
  }

  connect(signal?: AbortSignal): Promise<void> {
    const connected = this.life.begin(signal);
    if (this.life.ended) return connected;
    const o = this.o;
    let url = `${wsOrigin(o)}/ws?user=${encodeURIComponent(o.user)}`;
    if (o.cursor !== null) url += `&cursor=${o.cursor}`;
    let ws: WebSocket;
    try {
      const transport = o.transport;
      ws = new (wsPackage().WebSocket)(url, {
        perMessageDeflate: false,
        maxPayload: MAX_MESSAGE_BYTES,
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
        // ws writes the upgrade request at once; the socket holds it until the TLS handshake is done.
        ...(transport
          ? { createConnection: () => transport.connect({ host: o.host, port: o.port, localAddress: o.localAddress }, noop) }
          : {}),
      });
    } catch (err) {
      this.life.abort(transportError('CB_ERR_CONNECT', `could not open ${url}: ${(err as Error).message}`, err));
      return connected;
    }
    this.ws = ws;
    ws.on('upgrade', (res) => applyTcpKeepAlive(res.socket, o.tcpKeepAliveMs));
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('ping', () => {
      const atUs = nowUs();
      this.life.heard(atUs);
      this.h.onHeartbeat?.(atUs);
    });
    ws.on('unexpected-response', (_req, res) => this.onRefused(res));
    ws.on('error', (err) => this.life.error(transportError(codeOfSocketError(err), err.message, err)));
    ws.on('close', () => this.life.end(nowUs()));
    return connected;
  }

  send(m: Outgoing): void {
    const ws = this.ws;
    if (ws !== undefined && ws.readyState === ws.OPEN) ws.send(sendText(m));
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    const atUs = nowUs();
    this.life.heard(atUs);
    if (isBinary) return this.bad('a frame that is not a JSON object in a text frame');
    onServerText(this.life, this.h, textOf(data), atUs);
  }

  private bad(what: string): void {
    badFrame(this.life, what);
  }

  /** The server answered the upgrade with an HTTP error: connect() rejects with the code it names. */
  private onRefused(res: IncomingMessage): void {
    const status = res.statusCode ?? 0;
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      const text = Buffer.concat(chunks).toString('utf8');
      this.life.abort(errorOfResponse(status, text, `the server refused the WebSocket upgrade with HTTP ${status}`));
    };
    res.on('data', (c: Buffer) => {
      if (bytes < MAX_ERROR_BODY_BYTES) chunks.push(c);
      bytes += c.length;
    });
    res.once('end', done);
    res.once('error', done);
  }
}

function noop(): void {}
