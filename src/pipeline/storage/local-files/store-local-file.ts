/**
 * Copies one of the user's files into the downloader's chunk store, chunk by chunk as a download would
 * arrive, hashing it on the way: the record ends complete, with the SHA-256 that every later load checks
 * the stored bytes against. Only one chunk is in memory at a time, whatever the file's size.
 */
import {
  chunkCount,
  chunkRange,
  DEFAULT_CHUNK_SIZE,
  storedBytes,
  type ChunkStore,
  type FileRecord,
  type StoredFileId,
} from '../chunk-store.js';
import { writeOrQuotaError, type StorageManagerLike } from '../quota.js';
import { createSha256Stream } from '../sha256.js';
import { throwIfAborted } from '../../errors.js';

export interface StoreLocalFileOptions {
  chunkSize?: number;
  /** Only to state the space left when the store fills up. */
  storage?: StorageManagerLike;
  signal?: AbortSignal;
  /** Bytes just stored. */
  onBytes?: (bytes: number) => void;
}

/**
 * Stores `file` under `id`; resolves with its complete, verified record. A full store rejects with a
 * QuotaError (code 'quota'), as a download does; what was stored stays for the caller to delete.
 * @param source says where the bytes came from (the record's `url`): the name the user's file had
 */
export async function storeLocalFile(
  store: ChunkStore,
  id: StoredFileId,
  file: Blob,
  source: string,
  options: StoreLocalFileOptions = {},
): Promise<FileRecord> {
  const record: FileRecord = {
    modelId: id.modelId,
    path: id.path,
    url: source,
    size: file.size,
    chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
    doneChunks: [],
    verified: false,
    updatedAt: Date.now(),
  };
  const write = (step: () => Promise<void>) =>
    writeOrQuotaError(step, id.path, () => record.size - storedBytes(record), options.storage);
  // The record first: chunks without one could never be found to be deleted.
  await write(() => store.putRecord({ ...record }));
  const hash = await createSha256Stream();
  try {
    // One chunk is hashed (on the hash Worker) while the next is read and stored.
    let hashing = Promise.resolve();
    for (let index = 0; index < chunkCount(record); index++) {
      throwIfAborted(options.signal);
      const { start, end } = chunkRange(record, index);
      const bytes = new Uint8Array(await file.slice(start, end).arrayBuffer());
      await write(() => store.writeChunk(record, index, bytes));
      record.doneChunks.push(index);
      await hashing;
      // Last use of the bytes: the hash stream may transfer them to its Worker.
      hashing = hash.update(bytes);
      options.onBytes?.(end - start);
    }
    await hashing;
    record.sha256 = await hash.digest();
  } catch (error) {
    hash.close();
    throw error;
  }
  record.verified = true;
  record.updatedAt = Date.now();
  await write(() => store.putRecord({ ...record, doneChunks: [...record.doneChunks] }));
  await store.commitFile?.(record);
  return record;
}
