/** Reading and managing what is stored: loading a file for ORT, listing, verifying and deleting models. */
import { chunkCount, chunkRange, expectedDigest, isComplete, isUsable, storedBytes } from './chunk-store.js';
import type { ChunkStore, FileRecord, StoredFileId } from './chunk-store.js';
import { defaultLockManager, withModelLock, type LockManagerLike } from './cross-tab.js';
import { DownloadError, IntegrityError } from './errors.js';
import { hashStoredFile, InOrderFileHasher } from './file-hasher.js';

/** Chunks read and not yet hashed while a file loads: the hash keeps pace without holding the file twice. */
const LOAD_CHUNKS_IN_HASH = 3;

/**
 * The whole stored file as one Uint8Array, allocated once at its exact size with each chunk copied
 * straight into place: ready for `ort.InferenceSession.create(bytes)`. Only complete files with a settled
 * digest, and each load checks the bytes against it: every chunk goes to the hash Worker as it is read,
 * so hashing overlaps reading, and a file changed in storage since its download is refused as corrupt.
 */
export async function readStoredFile(store: ChunkStore, id: StoredFileId): Promise<Uint8Array> {
  const loadable = await loadableRecord(store, id);
  const bytes = new Uint8Array(loadable.record.size);
  let offset = 0;
  // Copied while the stream waits: the hasher takes each chunk's buffer only once the next one is asked for.
  for await (const chunk of streamRecord(store, loadable)) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The stored file chunk by chunk, in order, for a reader that never needs it whole (widening a stage as it
 * loads). Each chunk goes to the hasher once the reader asks for the next one, so a chunk is the reader's
 * only until then (the hasher may take its buffer). The last step, after the last chunk, compares the
 * digest: a reader that reads to the end has had every byte checked, or gets the IntegrityError.
 */
export async function* streamStoredFile(store: ChunkStore, id: StoredFileId): AsyncGenerator<Uint8Array> {
  yield* streamRecord(store, await loadableRecord(store, id));
}

async function* streamRecord(
  store: ChunkStore,
  { record, expected }: { record: FileRecord; expected: string },
): AsyncGenerator<Uint8Array> {
  const hasher = new InOrderFileHasher(store, record, () => false, {
    maxChunksInMemory: LOAD_CHUNKS_IN_HASH,
  });
  try {
    for (let index = 0; index < chunkCount(record); index++) {
      await hasher.reserve();
      const chunk = await readChunkOf(store, record, index).catch((error: unknown) => {
        hasher.release();
        throw error;
      });
      yield chunk;
      hasher.accept(index, chunk);
    }
    const actual = await hasher.digest();
    if (actual !== expected) throw corruptInStorage(record, expected, actual);
  } finally {
    hasher.close();
  }
}

/** A complete file's record and the digest its bytes must have; else why it cannot be loaded. */
async function loadableRecord(
  store: ChunkStore,
  id: StoredFileId,
): Promise<{ record: FileRecord; expected: string }> {
  const record = await store.getRecord(id);
  const expected = record && isUsable(record) ? expectedDigest(record) : undefined;
  if (!record || expected === undefined) {
    const state = !record
      ? 'not stored'
      : isComplete(record)
        ? 'stored but not verified'
        : 'only partly stored';
    throw new DownloadError(
      'not-stored',
      `${id.path} of model ${id.modelId} is ${state}; download the model first`,
      { resumable: true },
    );
  }
  return { record, expected };
}

async function readChunkOf(store: ChunkStore, record: FileRecord, index: number): Promise<Uint8Array> {
  const { start, end } = chunkRange(record, index);
  const chunk = await store.readChunk(record, index);
  if (chunk.byteLength !== end - start) {
    throw new DownloadError(
      'not-stored',
      `chunk ${index} of ${record.path} has ${chunk.byteLength} bytes, not ${end - start}`,
    );
  }
  return chunk;
}

function corruptInStorage(record: FileRecord, expected: string, actual: string): IntegrityError {
  const since = record.sha256 === undefined ? 'recorded when it was downloaded' : 'the manifest gives';
  return new IntegrityError(
    record.path,
    expected,
    actual,
    `${record.path} of model ${record.modelId} is corrupt in storage: its SHA-256 is ${actual}, ` +
      `not the ${expected} ${since}. Delete it and download it again.`,
  );
}

export interface StoredFileSummary {
  path: string;
  url: string;
  bytesStored: number;
  bytesTotal: number;
  complete: boolean;
  /** Hashed and matched the manifest's SHA-256. */
  verified: boolean;
  sha256?: string;
}

export interface StoredModelSummary {
  modelId: string;
  bytesStored: number;
  bytesTotal: number;
  /** Every file of the model that is stored is complete (and verified when it has a hash). */
  complete: boolean;
  files: StoredFileSummary[];
}

/** What the store holds, per model. A model whose download never started has no entry. */
export async function listStoredModels(store: ChunkStore): Promise<StoredModelSummary[]> {
  const byModel = new Map<string, FileRecord[]>();
  for (const record of await store.listRecords()) {
    byModel.set(record.modelId, [...(byModel.get(record.modelId) ?? []), record]);
  }
  return [...byModel].map(([modelId, records]) => {
    const files = records.map(summarize).sort((a, b) => a.path.localeCompare(b.path));
    return {
      modelId,
      bytesStored: files.reduce((sum, file) => sum + file.bytesStored, 0),
      bytesTotal: files.reduce((sum, file) => sum + file.bytesTotal, 0),
      complete: records.every(isUsable),
      files,
    };
  });
}

function summarize(record: FileRecord): StoredFileSummary {
  return {
    path: record.path,
    url: record.url,
    bytesStored: storedBytes(record),
    bytesTotal: record.size,
    complete: isComplete(record),
    verified: record.verified,
    sha256: record.sha256,
  };
}

export interface FileVerification {
  path: string;
  /**
   * 'ok': the hash matches (the manifest's, else the one recorded at download); 'mismatch': it does not,
   * and the file was deleted; 'incomplete': chunks are missing; 'no-hash': complete, but there is no hash
   * to check (`actualSha256` is computed).
   */
  status: 'ok' | 'mismatch' | 'incomplete' | 'no-hash';
  expectedSha256?: string;
  actualSha256?: string;
}

/**
 * Re-reads and hashes every stored file of a model. A corrupt file is deleted so that a download fetches
 * it anew. Waits for a download of the model in progress (in any tab) to end first.
 */
export function verifyStoredModel(
  store: ChunkStore,
  modelId: string,
  options: { signal?: AbortSignal; locks?: LockManagerLike } = {},
): Promise<FileVerification[]> {
  return withModelLock(options.locks ?? defaultLockManager(), modelId, async () => {
    const results: FileVerification[] = [];
    for (const record of await recordsOf(store, modelId))
      results.push(await verifyRecord(store, record, options.signal));
    return results;
  });
}

async function verifyRecord(
  store: ChunkStore,
  record: FileRecord,
  signal?: AbortSignal,
): Promise<FileVerification> {
  const { path } = record;
  const expectedSha256 = expectedDigest(record);
  if (!isComplete(record)) return { path, status: 'incomplete', expectedSha256 };
  const actualSha256 = await hashStoredFile(store, record, signal);
  if (expectedSha256 === undefined) return { path, status: 'no-hash', actualSha256 };
  const ok = actualSha256 === expectedSha256;
  if (ok && record.sha256 !== undefined)
    await store.putRecord({ ...record, verified: true, updatedAt: Date.now() });
  else await store.deleteFile(record);
  return { path, status: ok ? 'ok' : 'mismatch', expectedSha256, actualSha256 };
}

/** Deletes every stored file of a model, once a download of it in progress (in any tab) has ended. */
export function deleteStoredModel(
  store: ChunkStore,
  modelId: string,
  options: { locks?: LockManagerLike } = {},
): Promise<void> {
  return withModelLock(options.locks ?? defaultLockManager(), modelId, async () => {
    for (const record of await recordsOf(store, modelId)) await store.deleteFile(record);
  });
}

async function recordsOf(store: ChunkStore, modelId: string): Promise<FileRecord[]> {
  return (await store.listRecords()).filter((record) => record.modelId === modelId);
}
