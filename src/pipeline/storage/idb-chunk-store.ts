import { createStore, delMany, get, promisifyRequest, set, values, del, type UseStore } from 'idb-keyval';
import { type ChunkStore, type FileRecord, type StoredFileId } from './chunk-store.js';
import { isStorageFullError } from './errors.js';

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
 *
 * Chunks and pieces are stored as Blobs: Chromium reads a 32 MiB Blob value back 2.6x faster than the same
 * bytes stored as a Uint8Array (262 against 100 MB/s here: npm run bench:idb), since a
 * Blob is kept as a file of its own rather than a structured-clone record, and reading is most of a
 * warm start. Values written as Uint8Arrays by earlier versions are still read, and a browser that refuses
 * Blob values (WebKit in an ephemeral session) gets Uint8Arrays.
 */
export class IdbChunkStore implements ChunkStore {
  private readonly chunks: UseStore;
  private readonly records: UseStore;
  /** Set once this browser refused a Blob value: later writes store the bytes themselves. */
  private blobsRefused = false;

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
    return this.put(chunkKey(record, index), bytes);
  }

  readChunk(record: FileRecord, index: number): Promise<Uint8Array> {
    return this.read(chunkKey(record, index), `chunk ${index} of ${record.path}`);
  }

  writePiece(record: FileRecord, index: number, piece: number, bytes: Uint8Array): Promise<void> {
    return this.put(pieceKey(record, index, piece), bytes);
  }

  readPiece(record: FileRecord, index: number, piece: number): Promise<Uint8Array> {
    return this.read(pieceKey(record, index, piece), `piece ${piece} of chunk ${index} of ${record.path}`);
  }

  deletePieces(record: FileRecord, index: number, pieces: number): Promise<void> {
    const keys = Array.from({ length: pieces }, (_, piece) => pieceKey(record, index, piece));
    return delMany(keys, this.chunks);
  }

  private async put(key: IDBValidKey, bytes: Uint8Array): Promise<void> {
    if (!this.blobsRefused) {
      try {
        return await set(key, blobOf(bytes), this.chunks);
      } catch (error) {
        // A full quota is the same for any form; anything else is the Blob refused, so the bytes are tried.
        if (isStorageFullError(error)) throw error;
        this.blobsRefused = true;
      }
    }
    return set(key, exact(bytes), this.chunks);
  }

  private async read(key: IDBValidKey, what: string): Promise<Uint8Array> {
    const value = await get<Blob | Uint8Array>(key, this.chunks);
    if (!value) throw new Error(`${what} is missing from IndexedDB`);
    if (value instanceof Uint8Array) return value;
    try {
      return new Uint8Array(await value.arrayBuffer());
    } catch (error) {
      // The browser lost the Blob's file (cleared by hand, or storage evicted under the database).
      throw new Error(`${what} could not be read from IndexedDB: ${String(error)}`, { cause: error });
    }
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

/** A Blob takes only a view of an ArrayBuffer: a view of shared memory is copied out first. */
function blobOf(bytes: Uint8Array): Blob {
  return new Blob([bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice()]);
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
