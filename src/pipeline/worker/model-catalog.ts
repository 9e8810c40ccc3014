/**
 * The models the pipeline worker knows: each manifest's (fetched once per URL) and the user's own,
 * which every manifest's list includes. A local model's files cannot be fetched again: where they are
 * no longer all stored, the user is told to choose them again.
 */
import { deleteStoredModel, getModelStorageStatus, type ChunkStore } from '../storage/index.js';
import { PipelineError } from '../errors.js';
import { isLocalModelId, withLocalModels, type LocalModelRegistry } from '../storage/local-files/index.js';
import { getModel, loadManifest } from '../model/manifest.js';
import type { Manifest, ModelEntry } from '../model/manifest-types.js';
import type { StoredModel } from '../types.js';
import type { ModelSource } from './worker-protocol.js';

export class ModelCatalog {
  private readonly manifests = new Map<string, Promise<Manifest>>();

  constructor(
    private readonly store: ChunkStore,
    private readonly registry: LocalModelRegistry,
  ) {}

  /** The manifest at `url` with the local models added. */
  async manifest(url: string): Promise<Manifest> {
    // Without IndexedDB (some private modes) there are no local models, and the manifest still works.
    const local = this.registry.list().catch(() => []);
    const [manifest, localModels] = await Promise.all([this.fetched(url), local]);
    return withLocalModels(manifest, localModels);
  }

  async model(source: ModelSource): Promise<ModelEntry> {
    return getModel(await this.manifest(source.manifestUrl), source.modelId);
  }

  async stored(manifestUrl: string): Promise<StoredModel[]> {
    const manifest = await this.manifest(manifestUrl);
    return Promise.all(manifest.models.map((model) => getModelStorageStatus(model, this.store)));
  }

  /** Deletes a model's stored files, and a local model's entry with them. */
  async delete(modelId: string): Promise<void> {
    await deleteStoredModel(this.store, modelId);
    if (isLocalModelId(modelId)) await this.registry.delete(modelId);
  }

  /** A local model's storage status; throws when its files are not all stored (nothing can fetch them). */
  async localModelStored(model: ModelEntry): Promise<StoredModel> {
    const status = await getModelStorageStatus(model, this.store);
    if (status.complete) return status;
    throw new PipelineError(
      'download-failed',
      `${model.name} is made of your own files, and they are no longer all stored in this browser: ` +
        'choose the files again, or forget the model (the panel for the model has both).',
      { resumable: false },
    );
  }

  private fetched(url: string): Promise<Manifest> {
    let manifest = this.manifests.get(url);
    if (!manifest) {
      manifest = loadManifest(url);
      this.manifests.set(url, manifest);
      manifest.catch(() => this.manifests.delete(url));
    }
    return manifest;
  }
}
