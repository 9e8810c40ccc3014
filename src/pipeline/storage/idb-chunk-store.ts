import { createStore, delMany, get, set, values, del, type UseStore } from 'idb-keyval';
import { chunkCount, type ChunkStore, type FileRecord, type StoredFileId } from './chunk-store.js';

export interface IdbChunkStoreOptions {
  /** Database holding the chunk bytes (idb-keyval keeps one object store per database). */
  chunksDb?: string;
  /** Database holding the small file records, apart from the bytes so that listing never reads weights. */
  recordsDb?: string;
}

/**
 * Chunks in IndexedDB through idb-keyval. Each chunk is its own value (Chromium refuses single values
 * above about 127 MiB), keyed [modelId, path, index]; records are keyed [modelId, path].
 */
export class IdbChunkStore implements ChunkStore {
  private readonly chunks: UseStore;
  private readonly records: UseStore;

  constructor(options: IdbChunkStoreOptions = {}) {
    this.chunks = createStore(options.chunksDb ?? 'sd-turbo-weights', 'chunks');
    this.records = createStore(options.recordsDb ?? 'sd-turbo-weights-files', 'files');
  }

  getRecord(id: StoredFileId): Promise<FileRecord | undefined> {
    return get<FileRecord>(recordKey(id), this.records);
  }

  putRecord(record: FileRecord): Promise<void> {
    return set(recordKey(record), record, this.records);
  }

  listRecords(): Promise<FileRecord[]> {
    return values<FileRecord>(this.records);
  }

  writeChunk(record: FileRecord, index: number, bytes: Uint8Array): Promise<void> {
    // Structured clone stores a view's whole buffer: store exactly the chunk's bytes.
    const exact =
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    return set(chunkKey(record, index), exact, this.chunks);
  }

  async readChunk(record: FileRecord, index: number): Promise<Uint8Array> {
    const bytes = await get<Uint8Array>(chunkKey(record, index), this.chunks);
    if (!bytes) throw new Error(`chunk ${index} of ${record.path} is missing from IndexedDB`);
    return bytes;
  }

  async deleteFile(id: StoredFileId): Promise<void> {
    const record = await this.getRecord(id);
    if (!record) return;
    // The record goes first: a file without a record is invisible, chunks without one are only garbage.
    await del(recordKey(id), this.records);
    const keys = Array.from({ length: chunkCount(record) }, (_, index) => chunkKey(record, index));
    await delMany(keys, this.chunks);
  }
}

function recordKey(id: StoredFileId): IDBValidKey {
  return [id.modelId, id.path];
}

function chunkKey(id: StoredFileId, index: number): IDBValidKey {
  return [id.modelId, id.path, index];
}
