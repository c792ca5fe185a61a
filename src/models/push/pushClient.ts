import type { ClientHandler, ClientOptions, ModelClient } from '../types.js';
import type { Outgoing } from '../message.js';
import { ClientLifecycle } from './clientLifecycle.js';

/**
 * What a push client (one long-lived connection of its own) is made of: its options, its handler
 * and the lifecycle that settles connect() once and calls onClose once. A subclass opens its
 * transport in connect() and says in cut() how to cut it.
 */
export abstract class PushClient implements ModelClient {
  protected readonly life: ClientLifecycle;

  constructor(
    protected readonly o: ClientOptions,
    protected readonly h: ClientHandler,
  ) {
    this.life = new ClientLifecycle(h, o.heartbeat, () => this.cut());
  }

  abstract connect(signal?: AbortSignal): Promise<void>;
  abstract send(m: Outgoing): void;

  /** Cuts the transport, whose close event then ends the lifecycle; false when there is none yet. */
  protected abstract cut(): boolean;

  close(): Promise<void> {
    return this.life.close();
  }
}
