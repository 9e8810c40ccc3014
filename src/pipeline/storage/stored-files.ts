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

/** A stored file read for loading, its digest still being checked. */
export interface StoredFileRead {
  bytes: Uint8Array;
  /**
   * Resolves once the bytes matched their digest; rejects with an IntegrityError (code 'corrupt') when
   * they did not, after marking the file corrupt in the store so that every later load refuses it.
   */
  verified: Promise<void>;
}

/**
 * As readStoredFile, but the hash never holds the read back: the bytes come as fast as the store gives
 * them, and their digest is checked only once `readBackAfter` resolves (the model is ready), from the
 * chunks read back from the store. On a machine with few cores the hash would otherwise take CPU from
 * reading and creating the sessions, the slow parts of a warm start. A file read after that (low-memory
 * mode reads stages again per image) is hashed beside the read, from the chunks in hand where the hash
 * keeps pace.
 */
export async function readStoredFileVerifyingBeside(
  store: ChunkStore,
  id: StoredFileId,
  readBackAfter: Promise<void> = Promise.resolve(),
): Promise<StoredFileRead> {
  const { record, expected } = await loadableRecord(store, id);
  const bytes = new Uint8Array(record.size);
  let chunksRead = 0;
  let ready = false;
  void readBackAfter.then(() => (ready = true));
  const hasher = new InOrderFileHasher(store, record, (index) => ready && index < chunksRead, {
    maxChunksInMemory: LOAD_CHUNKS_IN_HASH,
  });
  try {
    for (let index = 0; index < chunkCount(record); index++) {
      const chunk = await readChunkOf(store, record, index);
      bytes.set(chunk, chunkRange(record, index).start);
      chunksRead = index + 1;
      // After the copy: the hasher may transfer the chunk's buffer to its Worker.
      if (ready && hasher.tryReserve()) hasher.accept(index, chunk);
    }
  } catch (error) {
    hasher.close();
    throw error;
  }
  const verified = readBackAfter
    .then(() => hasher.digest())
    .then((actual) => checkDigest(store, record, expected, actual))
    .finally(() => hasher.close());
  return { bytes, verified };
}

/**
 * The stored file chunk by chunk, in order, for a reader that never needs it whole (widening a stage as it
 * loads). Each chunk goes to the hasher once the reader asks for the next one, so a chunk is the reader's
 * only until then (the hasher may take its buffer). The last step, after the last chunk, compares the
 * digest: a reader that reads to the end has had every byte checked, or gets the IntegrityError (and the
 * file is marked corrupt in the store).
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
    await checkDigest(store, record, expected, await hasher.digest());
  } finally {
    hasher.close();
  }
}

/**
 * As streamStoredFile, for a warm start: no hash holds the chunks back. The digest is checked as
 * readStoredFileVerifyingBeside checks it: once the stream has ended and `readBackAfter` resolves, from the
 * chunks read back from the store (a stream read after that is hashed from the chunks in hand where the
 * hash keeps pace). A reader that stops early (bytes that are no ONNX model) still has the whole file
 * checked, so that corrupt bytes are named as such. As the stream starts, `onVerifying` gets that check: it
 * rejects with an IntegrityError (code 'corrupt') after marking the file corrupt in the store, or with the
 * read's own error when a chunk could not be read. A stream never started checks nothing.
 */
export async function* streamStoredFileVerifyingBeside(
  store: ChunkStore,
  id: StoredFileId,
  readBackAfter: Promise<void>,
  onVerifying: (verified: Promise<void>) => void,
): AsyncGenerator<Uint8Array> {
  const { record, expected } = await loadableRecord(store, id);
  let chunksRead = 0;
  let ended = false;
  let ready = false;
  void readBackAfter.then(() => (ready = true));
  const hasher = new InOrderFileHasher(store, record, (index) => ready && (ended || index < chunksRead), {
    maxChunksInMemory: LOAD_CHUNKS_IN_HASH,
  });
  let stream!: { end: () => void; fail: (error: unknown) => void };
  const streamEnded = new Promise<void>((end, fail) => (stream = { end, fail }));
  onVerifying(
    streamEnded
      .then(() => readBackAfter)
      .then(() => hasher.digest())
      .then((actual) => checkDigest(store, record, expected, actual))
      .finally(() => hasher.close()),
  );
  try {
    for (let index = 0; index < chunkCount(record); index++) {
      const chunk = await readChunkOf(store, record, index);
      yield chunk;
      chunksRead = index + 1;
      // The reader has asked for the next chunk: the hasher may transfer this one's buffer to its Worker.
      if (ready && hasher.tryReserve()) hasher.accept(index, chunk);
    }
  } catch (error) {
    stream.fail(error);
    throw error;
  } finally {
    ended = true;
    stream.end();
  }
}

/** The record of a file that may be loaded: complete, its digest settled, and not found corrupt before. */
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
  if (record.corruptSha256 !== undefined) throw corruptInStorage(record, expected, record.corruptSha256);
  return { record, expected };
}

/** A digest that differs from the settled one marks the file corrupt in the store, then rejects. */
async function checkDigest(
  store: ChunkStore,
  record: FileRecord,
  expected: string,
  actual: string,
): Promise<void> {
  if (actual === expected) return;
  const current = await store.getRecord(record);
  // A file deleted (or downloaded anew) while it was hashed is not the one that was read.
  if (current && current.updatedAt === record.updatedAt)
    await store.putRecord({ ...current, corruptSha256: actual, updatedAt: Date.now() });
  throw corruptInStorage(record, expected, actual);
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
