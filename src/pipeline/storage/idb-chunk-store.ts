import { createStore, delMany, get, promisifyRequest, set, values, del, type UseStore } from 'idb-keyval';
import { type ChunkStore, type FileRecord, type StoredFileId } from './chunk-store.js';

export interface IdbChunkStoreOptions {
  /** Database holding the chunk bytes (idb-keyval keeps one object store per database). */
  chunksDb?: string;
  /** Database holding the small file records, apart from the bytes so that listing never reads weights. */
  recordsDb?: string;
}

/**
 * Chunks in IndexedDB through idb-keyval. Each chunk is its own value (Chromium refuses single values
 * above about 127 MiB), keyed [modelId, path, index]; the pieces of a chunk still arriving are keyed
 * [modelId, path, index, piece] beside them until the chunk is stored whole, so a load reads whole chunks
 * only. Records are keyed [modelId, path].
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
    return set(chunkKey(record, index), exact(bytes), this.chunks);
  }

  async readChunk(record: FileRecord, index: number): Promise<Uint8Array> {
    const bytes = await get<Uint8Array>(chunkKey(record, index), this.chunks);
    if (!bytes) throw new Error(`chunk ${index} of ${record.path} is missing from IndexedDB`);
    return bytes;
  }

  writePiece(record: FileRecord, index: number, piece: number, bytes: Uint8Array): Promise<void> {
    return set(pieceKey(record, index, piece), exact(bytes), this.chunks);
  }

  async readPiece(record: FileRecord, index: number, piece: number): Promise<Uint8Array> {
    const bytes = await get<Uint8Array>(pieceKey(record, index, piece), this.chunks);
    if (!bytes)
      throw new Error(`piece ${piece} of chunk ${index} of ${record.path} is missing from IndexedDB`);
    return bytes;
  }

  deletePieces(record: FileRecord, index: number, pieces: number): Promise<void> {
    const keys = Array.from({ length: pieces }, (_, piece) => pieceKey(record, index, piece));
    return delMany(keys, this.chunks);
  }

  async deleteFile(id: StoredFileId): Promise<void> {
    // The record goes first: a file without a record is invisible, chunks without one are only garbage.
    await del(recordKey(id), this.records);
    // Every key [modelId, path, ...]: the chunks, and pieces whatever their chunk (arrays sort after numbers).
    const ofFile = IDBKeyRange.bound([id.modelId, id.path], [id.modelId, id.path, []]);
    await this.chunks('readwrite', (chunks) => promisifyRequest(chunks.delete(ofFile)));
  }
}

/** Structured clone stores a view's whole buffer: store exactly the view's bytes. */
function exact(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

function recordKey(id: StoredFileId): IDBValidKey {
  return [id.modelId, id.path];
}

function chunkKey(id: StoredFileId, index: number): IDBValidKey {
  return [id.modelId, id.path, index];
}

function pieceKey(id: StoredFileId, index: number, piece: number): IDBValidKey {
  return [id.modelId, id.path, index, piece];
}
