import { MODEL_IDS, type Model, type ModelId } from './types.js';
import { inputError } from '../util/errors.js';
import { shortPollModel } from './short-poll/index.js';
import { longPollModel } from './long-poll/index.js';
import { sseModel } from './sse/index.js';
import { websocketModel } from './websocket/index.js';
import { tcpModel } from './tcp/index.js';

/** The registry: model id → model. Nothing else in connbench branches on a model's name. */
const MODELS: Record<ModelId, Model> = {
  'short-poll': shortPollModel,
  'long-poll': longPollModel,
  sse: sseModel,
  websocket: websocketModel,
  tcp: tcpModel,
};

export { MODEL_IDS };
export type { ModelId };

export function isModelId(id: string): id is ModelId {
  return (MODEL_IDS as readonly string[]).includes(id);
}

export function getModel(id: string): Model {
  if (!isModelId(id)) throw inputError('CB_ERR_UNKNOWN_MODEL', `unknown model "${id}"`, `valid models: ${MODEL_IDS.join(', ')}`);
  return MODELS[id];
}

export function allModels(): Model[] {
  return MODEL_IDS.map((id) => MODELS[id]);
}
