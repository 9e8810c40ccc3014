/**
 * Node only (the self-hosting CLI); the browser bundle never imports this module (see ./node.ts).
 */
import { constants, type Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  chunkRange,
  isUsable,
  pieceRange,
  type ChunkStore,
  type FileRecord,
  type StoredFileId,
} from './chunk-store.js';

/** Hidden folder beside the files, holding one JSON record per file; static servers can ignore it. */
export const FS_RECORDS_DIR = '.sd-turbo-download';

/** Suffix of a file whose bytes are still arriving or not yet checked. */
const PARTIAL_SUFFIX = '.partial';

/**
 * Files on disk, laid out as a mirror: chunk bytes are written straight into `<root>/<path>.partial` at
 * their offset, and the file is renamed to `<root>/<path>` only once it is complete and its digest
 * checked, so a mirror never serves unchecked bytes under the real name; a finished folder is plain files
 * that any static server can serve. The record lives in `<root>/.sd-turbo-download/<path>.json`. One
 * folder holds one model: the model id is only recorded.
 */
export class FsChunkStore implements ChunkStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Where the file's bytes are once it is complete and checked. */
  filePath(id: StoredFileId): string {
    return this.inside(id.path);
  }

  /** Where the file's bytes are while it downloads and until its digest is checked. */
  partialPath(id: StoredFileId): string {
    return `${this.filePath(id)}${PARTIAL_SUFFIX}`;
  }

  async getRecord(id: StoredFileId): Promise<FileRecord | undefined> {
    try {
      const record = JSON.parse(await readFile(this.recordPath(id), 'utf8')) as FileRecord;
      return record.modelId === id.modelId ? record : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async putRecord(record: FileRecord): Promise<void> {
    const path = this.recordPath(record);
    await mkdir(dirname(path), { recursive: true });
    // Write then rename: a crash never leaves a half-written record.
    await writeFile(`${path}.tmp`, JSON.stringify(record));
    await rename(`${path}.tmp`, path);
  }

  async listRecords(): Promise<FileRecord[]> {
    const dir = join(this.root, FS_RECORDS_DIR);
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { recursive: true, withFileTypes: true });
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const recordFiles = entries.filter((entry) => entry.isFile() && entry.name.endsWith('.json'));
    return Promise.all(
      recordFiles.map(
        async (entry) => JSON.parse(await readFile(join(entry.parentPath, entry.name), 'utf8')) as FileRecord,
      ),
    );
  }

  writeChunk(record: FileRecord, index: number, bytes: Uint8Array): Promise<void> {
    return this.writePartial(record, chunkRange(record, index).start, bytes);
  }

  readChunk(record: FileRecord, index: number): Promise<Uint8Array> {
    return this.read(this.dataPath(record), chunkRange(record, index), `chunk ${index} of ${record.path}`);
  }

  /** A piece goes to its place in `.partial`: the whole chunk later writes the same bytes over it. */
  writePiece(record: FileRecord, index: number, piece: number, bytes: Uint8Array): Promise<void> {
    return this.writePartial(record, pieceRange(record, index, piece).start, bytes);
  }

  readPiece(record: FileRecord, index: number, piece: number): Promise<Uint8Array> {
    const where = `piece ${piece} of chunk ${index} of ${record.path}`;
    return this.read(this.partialPath(record), pieceRange(record, index, piece), where);
  }

  /** Nothing to remove: the pieces are the chunk's own bytes in `.partial`. */
  async deletePieces(): Promise<void> {}

  async deleteFile(id: StoredFileId): Promise<void> {
    await rm(this.recordPath(id), { force: true });
    await rm(this.filePath(id), { force: true });
    await rm(this.partialPath(id), { force: true });
  }

  /** Renames `<path>.partial` to `<path>`; already done when only the final file is there. */
  async commitFile(record: FileRecord): Promise<void> {
    try {
      await rename(this.partialPath(record), this.filePath(record));
    } catch (error) {
      if (!isNotFound(error) || !(await exists(this.filePath(record)))) throw error;
    }
  }

  private async writePartial(record: FileRecord, offset: number, bytes: Uint8Array): Promise<void> {
    const path = this.partialPath(record);
    await mkdir(dirname(path), { recursive: true });
    // Create without truncating: chunks of the same file are written concurrently.
    const file = await open(path, constants.O_RDWR | constants.O_CREAT);
    try {
      const { bytesWritten } = await file.write(bytes, 0, bytes.byteLength, offset);
      if (bytesWritten !== bytes.byteLength) throw new Error(`short write to ${path}`);
    } finally {
      await file.close();
    }
  }

  /** Bytes [start, end) of the file at `path`; a shorter file means they were never (all) written. */
  private async read(path: string, { start, end }: { start: number; end: number }, what: string) {
    const bytes = new Uint8Array(end - start);
    const file = await open(path, 'r');
    try {
      const { bytesRead } = await file.read(bytes, 0, bytes.byteLength, start);
      if (bytesRead !== bytes.byteLength) throw new Error(`${what} is missing on disk`);
    } finally {
      await file.close();
    }
    return bytes;
  }

  /** The file's bytes: under the final name once the record says it is usable (and so committed). */
  private dataPath(record: FileRecord): string {
    return isUsable(record) ? this.filePath(record) : this.partialPath(record);
  }

  private recordPath(id: StoredFileId): string {
    return this.inside(join(FS_RECORDS_DIR, `${id.path}.json`));
  }

  /** Resolves a manifest path under the root, refusing one that would escape it ('../x', '/etc/x'). */
  private inside(path: string): string {
    const full = resolve(this.root, path);
    const rel = relative(this.root, full);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new Error(`file path ${JSON.stringify(path)} leaves the folder ${this.root}`);
    }
    return full;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}
