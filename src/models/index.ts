import type { Model, ModelId } from './types.js';
import { inputError } from '../util/errors.js';
import { shortPollModel } from './short-poll/index.js';
import { longPollModel } from './long-poll/index.js';
import { sseModel } from './sse/index.js';
import { websocketModel } from './websocket/index.js';
import { tcpModel } from './tcp/index.js';

/**
 * The registry: every model, in the order runs, tables and `connbench list` show them. A new model
 * is its folder and one line here. Nothing else in connbench branches on a model's name.
 */
const MODELS: readonly Model[] = [shortPollModel, longPollModel, sseModel, websocketModel, tcpModel];

export type { ModelId };

/** Every model's id, in registry order. */
export const MODEL_IDS: readonly ModelId[] = MODELS.map((m) => m.id);

const BY_ID = new Map(MODELS.map((m) => [m.id, m]));

export function isModelId(id: string): id is ModelId {
  return BY_ID.has(id);
}

export function getModel(id: string): Model {
  const model = BY_ID.get(id);
  if (!model) throw inputError('CB_ERR_UNKNOWN_MODEL', `unknown model "${id}"`, `valid models: ${MODEL_IDS.join(', ')}`);
  return model;
}

export function allModels(): readonly Model[] {
  return MODELS;
}

/** The models with a section of their own in a scenario, in registry order. */
export function modelSections(): { model: Model; section: NonNullable<Model['section']> }[] {
  return MODELS.flatMap((model) => (model.section ? [{ model, section: model.section }] : []));
}
