import type { z } from 'zod';
import type { ModelSection } from './types.js';

/** One value of a field that may hold a list (distributes over the union `V | V[]`). */
type One<V> = V extends readonly (infer E)[] ? E : V;
/** A section's parsed values with every matrix axis at one value. */
type SingleValued<T> = { [K in keyof T]: One<T[K]> };

/** Checks a model's section against its own schema's types, then erases them for the registry. */
export function defineSection<S extends z.ZodObject, O>(spec: {
  key: string;
  schema: S;
  axes: readonly (keyof z.output<S> & string)[];
  resolve(section: SingleValued<z.output<S>>): O;
  input(options: O): z.input<S>;
}): ModelSection<O> {
  return spec as unknown as ModelSection<O>;
}
