import type net from 'node:net';
import { PushClient } from './pushClient.js';

/** A push client over one socket of its own (tcp, and the lean websocket and SSE clients): cutting it destroys the socket. */
export abstract class SocketPushClient extends PushClient {
  protected socket: net.Socket | undefined;
  /** We cut the socket ourselves: its end or close is not the server's doing. */
  protected terminated = false;

  protected cut(): boolean {
    this.terminated = true;
    this.socket?.destroy();
    return this.socket !== undefined;
  }
}
