/**
 * Where downloaded chunks live. The downloader writes each chunk as soon as it arrives and records which
 * chunks are done in a small per-file record, so an interrupted download resumes with the missing chunks
 * only. Implementations: IndexedDB (browser) and the filesystem (Node, for the self-hosting CLI).
 */

/** Chunk size of a new file, for both writers: big enough to keep requests few, small enough to resume cheaply. */
export const DEFAULT_CHUNK_SIZE = 32 * 1024 * 1024;

/** A stored file is named by its model and its path in the manifest. */
export interface StoredFileId {
  modelId: string;
  path: string;
}

/** What is known about one stored (or partly stored) file. Small: kept apart from the chunk bytes. */
export interface FileRecord extends StoredFileId {
  url: string;
  /** Exact size in bytes, as the server reported it. */
  size: number;
  /** Chunk size the file was started with; a resume keeps it even if the caller asks for another. */
  chunkSize: number;
  /** The server's ETag when the download started; a different one later means the file changed. */
  etag?: string;
  /** Expected SHA-256 (lower-case hex) from the manifest, when it has one. */
  sha256?: string;
  /** Indexes of the chunks already stored, ascending. */
  doneChunks: number[];
  /** True once the whole file was hashed and matched `sha256`. */
  verified: boolean;
  /**
   * Without a `sha256` from the manifest: the file's own SHA-256, computed when its download completed.
   * The stored bytes are checked against it before each load.
   */
  recordedSha256?: string;
  /**
   * The SHA-256 a load found instead of the expected one: the bytes changed in storage after the digest
   * was settled. Every later load refuses the file until it is deleted and downloaded again.
   */
  corruptSha256?: string;
  /** Date.now() of the last change. */
  updatedAt: number;
}

export interface ChunkStore {
  getRecord(id: StoredFileId): Promise<FileRecord | undefined>;
  putRecord(record: FileRecord): Promise<void>;
  listRecords(): Promise<FileRecord[]>;
  /** Stores chunk `index` of the file; resolves once the bytes are stored. */
  writeChunk(record: FileRecord, index: number, bytes: Uint8Array): Promise<void>;
  /** Reads a stored chunk; rejects if it is missing. */
  readChunk(record: FileRecord, index: number): Promise<Uint8Array>;
  /** Removes the file's record and every chunk of it. */
  deleteFile(id: StoredFileId): Promise<void>;
  /**
   * Called once the file is complete and its digest checked (or recorded), after its record says so:
   * a store that keeps unchecked bytes under another name (FsChunkStore's `.partial`) moves them into place.
   */
  commitFile?(record: FileRecord): Promise<void>;
}

export function chunkCount(record: Pick<FileRecord, 'size' | 'chunkSize'>): number {
  return Math.ceil(record.size / record.chunkSize);
}

/** Byte range [start, end) of chunk `index`; the last chunk may be short. */
export function chunkRange(
  record: Pick<FileRecord, 'size' | 'chunkSize'>,
  index: number,
): { start: number; end: number } {
  const start = index * record.chunkSize;
  return { start, end: Math.min(start + record.chunkSize, record.size) };
}

export function isComplete(record: FileRecord): boolean {
  return record.doneChunks.length === chunkCount(record);
}

/** The file's SHA-256 is settled: it matched the manifest's, or, the manifest having none, it was recorded. */
export function hasSettledDigest(record: FileRecord): boolean {
  return record.sha256 === undefined ? record.recordedSha256 !== undefined : record.verified;
}

/** The SHA-256 the stored bytes must still have when they are loaded. */
export function expectedDigest(record: FileRecord): string | undefined {
  return record.sha256 ?? record.recordedSha256;
}

/** Complete, with its digest settled: ready to load (where each load checks the bytes against it). */
export function isUsable(record: FileRecord): boolean {
  return isComplete(record) && hasSettledDigest(record);
}

export function storedBytes(record: FileRecord): number {
  return record.doneChunks.reduce((sum, index) => {
    const { start, end } = chunkRange(record, index);
    return sum + end - start;
  }, 0);
}
