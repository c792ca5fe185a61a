import { sseModel } from '../../src/models/sse/index.js';
import type { ClientHandler, Model } from '../../src/models/types.js';

/** Shared by the sse*.test.ts files. */

/** The sse model with its client fixed to one kind, so a test can run against both clients. */
export function withClient(kind: 'reference' | 'lean'): Model {
  return {
    ...sseModel,
    createClient: (o, h) => sseModel.createClient({ ...o, modelOptions: { ...(o.modelOptions as object), client: kind } }, h),
  };
}

/** A ClientHandler that ignores everything but what `over` handles. */
export function handler(over: Partial<ClientHandler> = {}): ClientHandler {
  return {
    onSubscribed: () => undefined,
    onMessage: () => undefined,
    onGap: () => undefined,
    onError: () => undefined,
    onClose: () => undefined,
    ...over,
  };
}
