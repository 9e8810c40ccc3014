/**
 * Where downloaded chunks live. The downloader writes each chunk as soon as it arrives and records which
 * chunks are done in a small per-file record, so an interrupted download resumes with the missing chunks
 * only. A chunk still arriving is kept in pieces as they complete, so that a reload or a cut resumes
 * within one piece of where it stopped. Implementations: IndexedDB (browser) and the filesystem (Node, for
 * the self-hosting CLI).
 */

/** Chunk size of a new file, for both writers: big enough to keep requests few, small enough to resume cheaply. */
export const DEFAULT_CHUNK_SIZE = 32 * 1024 * 1024;

/**
 * Piece size of a chunk still arriving: what a reload or a dropped connection may cost to fetch again.
 * Small enough that a resume loses little, big enough that the extra writes and record updates are few.
 */
export const DEFAULT_PIECE_SIZE = 4 * 1024 * 1024;

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
  /**
   * Bytes per piece of a chunk still arriving. Absent in records written before pieces existed (and
   * from stores without pieces): such a file resumes whole chunks only.
   */
  pieceSize?: number;
  /** Chunks not yet stored whole whose leading pieces are stored: a resume fetches only the rest of each. */
  partialChunks?: PartialChunk[];
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

/** The first `pieces` pieces of chunk `index` are stored (chunk bytes [0, pieces × pieceSize)). */
export interface PartialChunk {
  index: number;
  pieces: number;
}

export interface ChunkStore {
  getRecord(id: StoredFileId): Promise<FileRecord | undefined>;
  putRecord(record: FileRecord): Promise<void>;
  listRecords(): Promise<FileRecord[]>;
  /** Stores chunk `index` of the file; resolves once the bytes are stored. */
  writeChunk(record: FileRecord, index: number, bytes: Uint8Array): Promise<void>;
  /** Reads a stored chunk; rejects if it is missing. */
  readChunk(record: FileRecord, index: number): Promise<Uint8Array>;
  /**
   * Stores piece `piece` of chunk `index` (its bytes from `piece × record.pieceSize`), a chunk whose
   * other pieces are still arriving. Optional: without the three piece methods a download resumes whole
   * chunks only.
   */
  writePiece?(record: FileRecord, index: number, piece: number, bytes: Uint8Array): Promise<void>;
  /** Reads a stored piece; rejects if it is missing. */
  readPiece?(record: FileRecord, index: number, piece: number): Promise<Uint8Array>;
  /** Removes the first `pieces` pieces of chunk `index`, once the chunk is stored whole. */
  deletePieces?(record: FileRecord, index: number, pieces: number): Promise<void>;
  /** Removes the file's record and every chunk (and piece) of it. */
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

/** Byte range [start, end) of piece `piece` of chunk `index`, in the file; a chunk's last piece may be short. */
export function pieceRange(
  record: Pick<FileRecord, 'size' | 'chunkSize' | 'pieceSize'>,
  index: number,
  piece: number,
): { start: number; end: number } {
  const chunk = chunkRange(record, index);
  const pieceSize = record.pieceSize ?? record.chunkSize;
  const start = Math.min(chunk.start + piece * pieceSize, chunk.end);
  return { start, end: Math.min(start + pieceSize, chunk.end) };
}

/** Pieces in chunk `index`: 1 for a file without pieces. */
export function pieceCount(
  record: Pick<FileRecord, 'size' | 'chunkSize' | 'pieceSize'>,
  index: number,
): number {
  const { start, end } = chunkRange(record, index);
  return Math.ceil((end - start) / (record.pieceSize ?? record.chunkSize));
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

/** Bytes kept: the whole chunks and the stored pieces of the others. */
export function storedBytes(record: FileRecord): number {
  const whole = record.doneChunks.reduce((sum, index) => {
    const { start, end } = chunkRange(record, index);
    return sum + end - start;
  }, 0);
  return (record.partialChunks ?? []).reduce(
    (sum, { index, pieces }) =>
      sum + pieceRange(record, index, pieces).start - chunkRange(record, index).start,
    whole,
  );
}
