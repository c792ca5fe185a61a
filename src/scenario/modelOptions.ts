import type { Model } from '../models/types.js';
import type { ResolvedScenario } from './schema.js';

/** A model's own options at this point of the scenario (its section, resolved); undefined for a model without one. */
export function optionsOf(model: Model, s: ResolvedScenario): unknown {
  return model.section ? s[model.section.key] : undefined;
}
