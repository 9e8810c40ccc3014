/**
 * "Your own files": SD-Turbo ONNX files from the user's disk become a model in the list. Each file's
 * graph is read (not its weights), the files are checked as one model, then stored like downloaded
 * weights with their SHA-256, and the model's manifest entry is kept, so a reload loads it from storage.
 */
import type { ChunkStore } from '../chunk-store.js';
import { ProgressTracker, type DownloadProgress } from '../progress.js';
import { defaultStorageManager, ensureQuota, type StorageManagerLike } from '../quota.js';
import { deleteStoredModel } from '../stored-files.js';
import { getModelStorageStatus } from '../model-files.js';
import { LocalFilesError, PipelineError, throwIfAborted } from '../../errors.js';
import type { ModelEntry, ModelStageName } from '../../model/manifest-types.js';
import { OnnxFormatError } from '../../model/onnx/onnx-proto.js';
import { buildLocalEntry, LOCAL_STAGE_PATHS } from './local-entry.js';
import { LOCAL_MODEL_PREFIX, type LocalModelRegistry } from './local-registry.js';
import { readOnnxSignature } from '../../model/onnx/onnx-signature.js';
import type { InspectedFile } from './stage-assignment.js';
import { checkLocalFiles, type CheckedFiles } from './stage-contract.js';
import { storeLocalFile } from './store-local-file.js';

/** One file the user chose: its name (its path inside a chosen folder) and its bytes. */
export interface LocalModelFile {
  name: string;
  file: Blob;
}

export interface ImportLocalModelOptions {
  store: ChunkStore;
  registry: LocalModelRegistry;
  /** Image side in pixels where the files leave the size open (default SD-Turbo's 512). */
  imageSize?: number;
  /** The model's name in pickers; default: the folder's name, else 'Your own files'. */
  name?: string;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  chunkSize?: number;
  /** Quota check: navigator.storage by default; null skips it. */
  storage?: StorageManagerLike | null;
}

export interface LocalModelImport {
  model: ModelEntry;
  /** What was decided that the user may not expect, e.g. a file used against its name. */
  notes: string[];
  /** The same files were stored before: nothing was copied again. */
  alreadyStored: boolean;
}

export const MIN_IMAGE_SIZE = 64;
export const MAX_IMAGE_SIZE = 2048;

/**
 * Checks the files as one SD-Turbo model and stores them. Rejects with a LocalFilesError (code
 * 'model-io-mismatch') listing every problem, or a QuotaError (code 'quota') when they do not fit; and
 * with an AbortError when `signal` aborts before the entry is kept, after deleting what was copied.
 */
export async function importLocalModel(
  files: readonly LocalModelFile[],
  options: ImportLocalModelOptions,
): Promise<LocalModelImport> {
  checkImageSize(options.imageSize);
  const named = distinctNames(files);
  const checked = checkLocalFiles(await inspectFiles(named), { imageSize: options.imageSize });
  const chosen = chosenFiles(checked, named);
  const id = await localModelId(chosen);
  const existing = await options.registry.get(id);
  if (existing && (await getModelStorageStatus(existing.entry, options.store)).complete) {
    return { model: existing.entry, notes: existing.notes, alreadyStored: true };
  }
  const name = options.name ?? defaultName(files, id);
  const sha256 = await storeFiles(id, chosen, options);
  const model = buildLocalEntry(checked, { id, name }, sha256);
  const sources = Object.fromEntries(chosen.map(([stage, file]) => [stage, file.name]));
  await options.registry.put({ entry: model, sources, notes: checked.notes, addedAt: Date.now() });
  return { model, notes: checked.notes, alreadyStored: false };
}

function checkImageSize(size: number | undefined): void {
  if (size === undefined) return;
  if (!Number.isInteger(size) || size % 64 !== 0 || size < MIN_IMAGE_SIZE || size > MAX_IMAGE_SIZE) {
    throw new PipelineError(
      'invalid-input',
      `The image size must be a multiple of 64 from ${MIN_IMAGE_SIZE} to ${MAX_IMAGE_SIZE} pixels ` +
        `(the UNet halves the latent three times), got ${String(size)}.`,
    );
  }
}

/** Two files called model.onnx (from different folders) must stay apart in every message. */
function distinctNames(files: readonly LocalModelFile[]): LocalModelFile[] {
  const count = new Map<string, number>();
  files.forEach(({ name }) => count.set(name, (count.get(name) ?? 0) + 1));
  return files.map((file, index) =>
    (count.get(file.name) ?? 0) > 1 ? { ...file, name: `${file.name} (file ${index + 1})` } : file,
  );
}

/** Each file's graph, read through small slices; a file that is no ONNX model is a problem of its own. */
async function inspectFiles(files: readonly LocalModelFile[]): Promise<InspectedFile[]> {
  if (files.length === 0) {
    throw new LocalFilesError([
      'No files were chosen: choose the text encoder, UNet and VAE decoder .onnx files.',
    ]);
  }
  const problems: string[] = [];
  const inspected: InspectedFile[] = [];
  for (const { name, file } of files) {
    try {
      inspected.push({ name, bytes: file.size, signature: await readOnnxSignature(file) });
    } catch (error) {
      if (error instanceof OnnxFormatError) problems.push(`${name}: ${error.message}`);
      else if (error instanceof DOMException) problems.push(`${name} could not be read: ${error.message}`);
      else throw error;
    }
  }
  if (problems.length > 0) throw new LocalFilesError(problems);
  return inspected;
}

function chosenFiles(
  checked: CheckedFiles,
  files: readonly LocalModelFile[],
): [ModelStageName, LocalModelFile][] {
  return Object.entries(checked.stages).map(([stage, found]) => [
    stage as ModelStageName,
    files.find((file) => file.name === found.file.name)!,
  ]);
}

/** The same files give the same id (name, size and time of each), so choosing them again stores nothing. */
async function localModelId(chosen: readonly [ModelStageName, LocalModelFile][]): Promise<string> {
  const identity = chosen.map(([stage, { name, file }]) => [
    stage,
    name,
    file.size,
    (file as File).lastModified ?? 0,
  ]);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(identity)));
  const hex = Array.from(new Uint8Array(digest).subarray(0, 6), (byte) => byte.toString(16).padStart(2, '0'));
  return `${LOCAL_MODEL_PREFIX}${hex.join('')}`;
}

/** The chosen folder's name, when the files came from one. */
function defaultName(files: readonly LocalModelFile[], id: string): string {
  const folders = new Set(files.map(({ name }) => (name.includes('/') ? name.split('/')[0] : '')));
  const [folder] = folders;
  return folders.size === 1 && folder
    ? `${folder} (your files)`
    : `Your own files (${id.slice(LOCAL_MODEL_PREFIX.length)})`;
}

/** Stores every chosen file (after a quota check); on failure or abort deletes what was stored. */
async function storeFiles(
  modelId: string,
  chosen: readonly [ModelStageName, LocalModelFile][],
  options: ImportLocalModelOptions,
): Promise<Partial<Record<ModelStageName, string>>> {
  const { store, signal } = options;
  throwIfAborted(signal);
  const storage = options.storage === null ? undefined : (options.storage ?? defaultStorageManager());
  // Leftovers of an import that was interrupted.
  await deleteStoredModel(store, modelId);
  const total = chosen.reduce((sum, [, { file }]) => sum + file.size, 0);
  await ensureQuota(storage, total, 'your model files');
  const progress = new ProgressTracker(modelId, { onProgress: options.onProgress });
  for (const [stage, { file }] of chosen) progress.setFile(LOCAL_STAGE_PATHS[stage], file.size, 0, 'queued');
  progress.report(true);
  const sha256: Partial<Record<ModelStageName, string>> = {};
  try {
    for (const [stage, { name, file }] of chosen) {
      const path = LOCAL_STAGE_PATHS[stage];
      progress.setState(path, 'downloading');
      const record = await storeLocalFile(store, { modelId, path }, file, `local:${name}`, {
        chunkSize: options.chunkSize,
        storage,
        signal,
        onBytes: (bytes) => progress.addBytes(path, bytes),
      });
      sha256[stage] = record.sha256;
      progress.setState(path, 'done');
    }
    // Stopped while the last chunk was stored: nothing is kept, as the user was told.
    throwIfAborted(signal);
  } catch (error) {
    await deleteStoredModel(store, modelId).catch(() => undefined);
    throw error;
  }
  return sha256;
}
