/**
 * The manifest entries of models made of the user's own files, kept in IndexedDB beside the weights so
 * that such a model is in the model list after a reload, on every manifest the page uses.
 */
import { createStore, del, get, set, values, type UseStore } from 'idb-keyval';
import { parseManifest } from '../../model/manifest.js';
import type { Manifest, ModelEntry, ModelStageName } from '../../model/manifest-types.js';

export interface LocalModelRecord {
  entry: ModelEntry;
  /** Each stage's file as the user offered it: its name, or its path in the chosen folder. */
  sources: Partial<Record<ModelStageName, string>>;
  /** What the check decided that the user may not expect (a file used against its name). */
  notes: string[];
  /** Date.now() when it was stored. */
  addedAt: number;
}

/** Every local model's id starts so; no model in a manifest should. */
export const LOCAL_MODEL_PREFIX = 'local-';

export function isLocalModelId(modelId: string): boolean {
  return modelId.startsWith(LOCAL_MODEL_PREFIX);
}

export class LocalModelRegistry {
  private readonly models: UseStore;

  constructor(options: { dbName?: string } = {}) {
    this.models = createStore(options.dbName ?? 'sd-turbo-local-models', 'models');
  }

  /** Oldest first. An entry the manifest parser no longer accepts (an older version's) is left out. */
  async list(): Promise<LocalModelRecord[]> {
    const records = await values<LocalModelRecord>(this.models);
    return records.filter((record) => isValid(record.entry)).sort((a, b) => a.addedAt - b.addedAt);
  }

  async get(modelId: string): Promise<LocalModelRecord | undefined> {
    const record = await get<LocalModelRecord>(modelId, this.models);
    return record && isValid(record.entry) ? record : undefined;
  }

  put(record: LocalModelRecord): Promise<void> {
    return set(record.entry.id, record, this.models);
  }

  delete(modelId: string): Promise<void> {
    return del(modelId, this.models);
  }
}

/** The manifest's models followed by the local ones (a manifest model keeps its id if both have it). */
export function withLocalModels(manifest: Manifest, records: readonly LocalModelRecord[]): Manifest {
  const known = new Set(manifest.models.map((model) => model.id));
  const local = records.map((record) => record.entry).filter((entry) => !known.has(entry.id));
  return { ...manifest, models: [...manifest.models, ...local] };
}

function isValid(entry: ModelEntry): boolean {
  try {
    parseManifest({ version: 1, defaultModel: entry.id, models: [entry] });
    return true;
  } catch {
    return false;
  }
}
