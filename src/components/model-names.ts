/**
 * The names people see for a model: short product names for the pinned entries (the manifest's names say
 * how each was built, which belongs in docs), and for the random-weight test models, offered only in
 * development, their id. Anything else (a manifest of your own, your own files) keeps its own name.
 */
import type { ModelEntry } from '../pipeline/index.js';

const PRODUCT_NAMES: Readonly<Record<string, string>> = {
  'sd-turbo': 'SD-Turbo',
  'sd-turbo-webnn': 'SD-Turbo (WebNN)',
};

export function modelLabel(model: Pick<ModelEntry, 'id' | 'name'>): string {
  if (model.id.startsWith('tiny-')) return `Test model: ${model.id}`;
  return PRODUCT_NAMES[model.id] ?? model.name;
}
