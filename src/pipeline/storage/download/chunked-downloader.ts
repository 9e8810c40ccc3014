import {
  chunkCount,
  chunkRange,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_PIECE_SIZE,
  hasSettledDigest,
  isComplete,
  pieceCount,
  pieceRange,
  storedBytes,
  type ChunkStore,
  type FileRecord,
  type StoredFileId,
} from '../chunk-store.js';
import { byteLengthOf, concatBytes } from '../../model/onnx/onnx-proto.js';
import { abortError, DownloadError, formatBytes, IntegrityError, isAbortError } from '../errors.js';
import type { DownloadEvent, RestartReason } from './events.js';
import { InOrderFileHasher } from '../file-hasher.js';
import { openRange, type BodyReader, type HttpContext, type OpenedRange } from './http.js';
import { canStartOnnxModel, describeBytes, ONNX_HEADER_BYTES } from '../../model/onnx/onnx-header.js';
import type { ProgressTracker } from '../progress.js';
import { writeOrQuotaError, type StorageManagerLike } from '../quota.js';
import { DEFAULT_RETRY, describeRetry, withRetry, type RetryOptions } from './retry.js';

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;
/**
 * 3 s: a 32 MiB chunk arriving faster than about 11 MB/s lands whole first and costs no second write (on
 * this 2-core machine storing pieces cut a 20 MB/s download to 9 MB/s); a slower link, where a lost chunk is
 * the long wait, keeps pieces.
 */
export const DEFAULT_STORE_PIECES_AFTER_MS = 3000;
/**
 * Two bytes, not one: some static servers (sirv, behind Vite) read `bytes=0-0` as the whole file. Two are
 * also enough to see whether the file can be an ONNX model.
 */
const PROBE_BYTES = Math.max(2, ONNX_HEADER_BYTES);

/** One file to fetch: where it is stored, where it comes from, and what the manifest promises. */
export interface DownloadTarget extends StoredFileId {
  url: string;
  /** Exact size from the manifest; the server must agree. */
  bytes?: number;
  /** Lower-case hex SHA-256 from the manifest; the stored file is verified against it. */
  sha256?: string;
  /** What the file is: 'onnx' refuses a first answer whose bytes cannot start an ONNX model. */
  format?: 'onnx';
}

export interface ChunkedDownloaderOptions {
  store: ChunkStore;
  /** Bytes per Range request and per stored value (default 32 MiB). A resumed file keeps its own. */
  chunkSize?: number;
  /**
   * Bytes per stored piece of a chunk still arriving (default 4 MiB): a reload or a dropped connection
   * fetches again at most this much per chunk in flight. A resumed file keeps its own; at or above
   * `chunkSize`, or with a store without pieces, whole chunks only.
   */
  pieceSize?: number;
  /**
   * A chunk's pieces are stored only once it has been arriving this long (default 3 s): on a fast link a
   * chunk lands whole sooner and costs no extra writes, and a reload loses at most about this much time
   * of download, or one piece, per chunk in flight.
   */
  storePiecesAfterMs?: number;
  /** Range requests in flight at once (default 4). */
  concurrency?: number;
  retry?: Partial<RetryOptions>;
  /** A request that receives nothing for this long is retried (default 30 s). */
  stallTimeoutMs?: number;
  signal?: AbortSignal;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  progress?: ProgressTracker;
  onEvent?: (event: DownloadEvent) => void;
  /** Only to state the space left when the store fills up. */
  storage?: StorageManagerLike;
}

/**
 * Downloads files in fixed-size chunks by HTTP Range requests, several at once, storing each chunk as it
 * arrives so that a later call fetches only what is missing. The first answer for a file is checked
 * before anything is stored (no HTML page, the manifest's size, an ONNX start). Verifies the SHA-256 when
 * one is given, and records it when none is; a wrong hash or a file that changes on the server mid-way
 * restarts the file once.
 */
export class ChunkedDownloader {
  readonly options: ResolvedOptions;

  constructor(options: ChunkedDownloaderOptions) {
    this.options = {
      ...withDefaults(options, {
        chunkSize: DEFAULT_CHUNK_SIZE,
        pieceSize: DEFAULT_PIECE_SIZE,
        storePiecesAfterMs: DEFAULT_STORE_PIECES_AFTER_MS,
        concurrency: DEFAULT_CONCURRENCY,
        stallTimeoutMs: DEFAULT_STALL_TIMEOUT_MS,
        fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
      }),
      retry: withDefaults(options.retry ?? {}, DEFAULT_RETRY),
    };
    const { chunkSize, pieceSize, concurrency } = this.options;
    if (!(chunkSize > 0) || !(pieceSize > 0) || !(concurrency >= 1)) {
      throw new RangeError('chunkSize, pieceSize and concurrency must be positive');
    }
  }

  /** Resolves with the stored file's record once it is complete (and verified when it has a hash). */
  async download(target: DownloadTarget): Promise<FileRecord> {
    try {
      return await new FileJob(this, target).run();
    } catch (error) {
      const reason = restartReason(error);
      if (!reason) throw error;
      this.emit({ type: 'file-restarted', ...fileId(target), reason, message: (error as Error).message });
      await this.options.store.deleteFile(target);
      return new FileJob(this, target).run();
    }
  }

  /** The file's size as the server states it (for the quota check, when the manifest has no size). */
  async remoteSize(url: string): Promise<number | undefined> {
    const { fetch, stallTimeoutMs, signal, retry } = this.options;
    const opened = await withRetry(
      () => openRange(url, 0, PROBE_BYTES, { fetch, stallTimeoutMs, signal }),
      retry,
      signal,
    );
    opened.body.close();
    return opened.total;
  }

  /** Reports the event; a retry or a restart also becomes the progress note, so that the UI shows it. */
  emit(event: DownloadEvent): void {
    if (event.type === 'retry' || event.type === 'file-restarted')
      this.options.progress?.setNote(event.message);
    this.options.onEvent?.(event);
  }
}

type ResolvedOptions = ChunkedDownloaderOptions & {
  chunkSize: number;
  pieceSize: number;
  storePiecesAfterMs: number;
  concurrency: number;
  stallTimeoutMs: number;
  retry: RetryOptions;
  fetch: typeof fetch;
};

/** One attempt at one file. */
class FileJob {
  private readonly options: ResolvedOptions;
  private record!: FileRecord;
  private readonly done = new Set<number>();
  /** Chunks not stored whole: how many of their leading pieces are stored. */
  private readonly storedPieces = new Map<number, number>();
  /** Leading pieces of the chunks being fetched (stored or being stored), in memory: a retry goes on after them. */
  private readonly piecesInHand = new Map<number, Uint8Array[]>();
  private hasher: InOrderFileHasher | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly downloader: ChunkedDownloader,
    private readonly target: DownloadTarget,
  ) {
    this.options = downloader.options;
  }

  async run(): Promise<FileRecord> {
    try {
      return await this.fetchAndVerify();
    } finally {
      this.hasher?.close();
    }
  }

  private async fetchAndVerify(): Promise<FileRecord> {
    this.throwIfAborted();
    const stored = await this.options.store.getRecord(this.target);
    if (stored && isComplete(stored) && this.matchesManifest(stored)) {
      this.adopt(stored);
      return this.finish(true);
    }
    const probe = await this.probe();
    try {
      await this.prepareRecord(stored, probe);
    } catch (error) {
      probe.body.close();
      throw error;
    }
    if (probe.partial) {
      probe.body.close();
      await this.fetchMissingInParallel();
    } else {
      await this.streamMissing(probe);
    }
    return this.finish(false);
  }

  /** A stored file still describes what the manifest asks for (sha256, size, and URL when unhashed). */
  private matchesManifest(record: FileRecord): boolean {
    const { bytes, sha256, url } = this.target;
    return (
      record.sha256 === sha256 &&
      (bytes === undefined || record.size === bytes) &&
      (sha256 !== undefined || record.url === url)
    );
  }

  /**
   * Asks for the first bytes to learn size, ETag and Range support (a server that ignores Range sends the
   * whole file), and refuses an answer that is not the file before anything is stored.
   */
  private async probe(): Promise<OpenedRange> {
    return this.withRetry(async () => {
      const opened = await openRange(this.target.url, 0, PROBE_BYTES, this.http());
      try {
        return { ...opened, total: await checkIsTheFile(opened, this.target) };
      } catch (error) {
        opened.body.close();
        throw error;
      }
    });
  }

  private async prepareRecord(stored: FileRecord | undefined, probe: OpenedRange): Promise<void> {
    const size = probe.total as number;
    const reason = stored && this.staleReason(stored, size, probe.etag);
    if (stored && reason) {
      this.downloader.emit({
        type: 'file-restarted',
        ...fileId(this.target),
        reason,
        message: `${this.target.path} ${STALE_REASONS[reason]}; downloading it again`,
      });
      await this.options.store.deleteFile(stored);
    }
    const fresh: FileRecord = {
      ...fileId(this.target),
      url: this.target.url,
      size,
      chunkSize: this.options.chunkSize,
      pieceSize: this.newPieceSize(this.options.chunkSize),
      etag: probe.etag,
      sha256: this.target.sha256,
      doneChunks: [],
      verified: false,
      updatedAt: Date.now(),
    };
    const resumed = stored && {
      ...stored,
      url: this.target.url,
      etag: stored.etag ?? probe.etag,
      // A file begun before pieces existed has none stored: its missing chunks may be kept in pieces now.
      pieceSize: stored.pieceSize ?? this.newPieceSize(stored.chunkSize),
    };
    this.adopt(resumed && !reason ? resumed : fresh);
    await this.saveRecord();
  }

  private staleReason(stored: FileRecord, size: number, etag: string | undefined): RestartReason | undefined {
    if (stored.sha256 !== this.target.sha256) return 'sha256-changed';
    if (stored.size !== size) return 'size-changed';
    if (stored.etag !== undefined && etag !== undefined && stored.etag !== etag) return 'etag-changed';
    if (stored.url !== this.target.url && this.target.sha256 === undefined) return 'url-changed';
    return undefined;
  }

  /** Piece size for a file not begun in pieces: none where the store keeps no pieces or a chunk is one. */
  private newPieceSize(chunkSize: number): number | undefined {
    const { store, pieceSize } = this.options;
    const keepsPieces = store.writePiece && store.readPiece && store.deletePieces;
    return keepsPieces && pieceSize < chunkSize ? pieceSize : undefined;
  }

  private adopt(record: FileRecord): void {
    this.record = record;
    record.doneChunks.forEach((index) => this.done.add(index));
    for (const { index, pieces } of record.partialChunks ?? [])
      if (!this.done.has(index) && pieces > 0) this.storedPieces.set(index, pieces);
    if (!hasSettledDigest(record)) {
      const isStored = (index: number) => this.done.has(index);
      this.hasher = new InOrderFileHasher(this.options.store, record, isStored, {
        signal: this.options.signal,
        // The chunks in flight, and two waiting to be hashed so that the hash never runs dry.
        maxChunksInMemory: this.options.concurrency + 2,
      });
    }
    this.options.progress?.setFile(record.path, record.size, storedBytes(record), 'downloading');
    this.options.progress?.report(true);
  }

  /** Range requests for the missing chunks, `concurrency` at a time; the first hard failure stops all. */
  private async fetchMissingInParallel(): Promise<void> {
    const missing = this.missingChunks();
    const stopAll = new AbortController();
    const onAbort = () => stopAll.abort();
    this.options.signal?.addEventListener('abort', onAbort, { once: true });
    let failure: unknown;
    let next = 0;
    const worker = async () => {
      while (failure === undefined && next < missing.length) {
        const index = missing[next++];
        try {
          await this.fetchChunk(index, stopAll.signal);
        } catch (error) {
          failure ??= error;
          stopAll.abort();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.options.concurrency, missing.length) }, worker));
    } finally {
      this.options.signal?.removeEventListener('abort', onAbort);
    }
    this.throwIfAborted();
    if (failure !== undefined) throw failure;
  }

  private async fetchChunk(index: number, signal: AbortSignal): Promise<void> {
    const { start, end } = chunkRange(this.record, index);
    const fetchBytes = () =>
      this.withRetry(async () => {
        const from = start + byteLengthOf(await this.leadingPieces(index));
        const opened = await openRange(this.record.url, from, end, this.http(signal));
        try {
          this.checkSameFile(opened);
          // A server that ignored Range this time sends the whole file: skip to the first missing byte.
          if (!opened.partial) await opened.body.skip(from);
          const chunk = await this.readRestOfChunk(index, opened.body);
          if (opened.partial) await opened.body.expectEnd();
          return chunk;
        } finally {
          opened.body.close();
        }
      }, signal);
    await this.receiveChunk(index, fetchBytes);
  }

  /**
   * One response carries the rest of the file (the server ignores Range, or we asked from the first missing
   * byte to the end): cut it into chunks as it arrives, storing the missing ones. After a dropped
   * connection, ask again from the first byte still missing.
   */
  private async streamMissing(first: OpenedRange): Promise<void> {
    let pending: OpenedRange | undefined = first;
    try {
      await this.withRetry(async () => {
        const firstMissing = this.missingChunks()[0];
        if (firstMissing === undefined) return;
        let opened = pending;
        pending = undefined;
        if (!opened) {
          const pieces = await this.leadingPieces(firstMissing);
          const from = chunkRange(this.record, firstMissing).start + byteLengthOf(pieces);
          opened = await openRange(this.record.url, from, undefined, this.http());
        }
        try {
          this.checkSameFile(opened);
          await this.storeFromStream(opened);
        } finally {
          opened.body.close();
        }
      });
    } finally {
      first.body.close();
    }
  }

  private async storeFromStream(opened: OpenedRange): Promise<void> {
    let at = opened.start;
    for (let index = Math.floor(at / this.record.chunkSize); index < chunkCount(this.record); index++) {
      const { start, end } = chunkRange(this.record, index);
      if (this.done.has(index)) {
        await opened.body.skip(end - at);
      } else {
        await this.receiveChunk(index, async () => {
          const pieces = await this.leadingPieces(index);
          await opened.body.skip(start + byteLengthOf(pieces) - at);
          return this.readRestOfChunk(index, opened.body);
        });
      }
      at = end;
    }
  }

  /**
   * The leading pieces of chunk `index` already stored, from memory or read back from the store. A stored
   * piece that is missing or of the wrong length makes the chunk start over (its other flaws, the file's
   * SHA-256 finds).
   */
  private async leadingPieces(index: number): Promise<Uint8Array[]> {
    const inHand = this.piecesInHand.get(index);
    if (inHand) return inHand;
    const pieces: Uint8Array[] = [];
    const count = this.storedPieces.get(index) ?? 0;
    try {
      for (let piece = 0; piece < count; piece++) pieces.push(await this.readStoredPiece(index, piece));
    } catch (error) {
      if (isAbortError(error) || this.options.signal?.aborted) throw error;
      const { start } = chunkRange(this.record, index);
      this.options.progress?.dropBytes(this.record.path, pieceRange(this.record, index, count).start - start);
      this.storedPieces.delete(index);
      pieces.length = 0;
    }
    this.piecesInHand.set(index, pieces);
    return pieces;
  }

  private async readStoredPiece(index: number, piece: number): Promise<Uint8Array> {
    const { start, end } = pieceRange(this.record, index, piece);
    const bytes = await this.options.store.readPiece?.(this.record, index, piece);
    if (bytes?.byteLength !== end - start) {
      throw new DownloadError(
        'not-stored',
        `piece ${piece} of chunk ${index} of ${this.record.path} has ${bytes?.byteLength ?? 'no'} bytes, ` +
          `not ${end - start}`,
      );
    }
    return bytes;
  }

  /**
   * Reads the rest of chunk `index` from `body`, which stands at the first byte after its leading pieces,
   * piece by piece, storing the pieces in hand as each completes once the chunk has been arriving for
   * `storePiecesAfterMs`; returns the whole chunk. The last piece is never kept in hand: the chunk is
   * stored whole instead, and a retry always has bytes to ask for.
   */
  private async readRestOfChunk(index: number, body: BodyReader): Promise<Uint8Array> {
    const pieces = await this.leadingPieces(index);
    const count = pieceCount(this.record, index);
    const storeFrom = performance.now() + this.options.storePiecesAfterMs;
    // Pieces are stored while the next ones arrive (the reader never waits on the store); the chunk, or
    // the failure, waits for them. A store failure is kept, never left as an unhandled rejection.
    let storing: Promise<void> = Promise.resolve();
    let storeFailure: unknown;
    const throwIfStoreFailed = () => {
      if (storeFailure !== undefined) throw storeFailure;
    };
    try {
      for (let piece = pieces.length; ; piece++) {
        const { start, end } = pieceRange(this.record, index, piece);
        const bytes = await this.readCounted(body, end - start);
        throwIfStoreFailed();
        if (piece === count - 1) {
          await storing;
          throwIfStoreFailed();
          return concatBytes([...pieces, bytes]);
        }
        pieces.push(bytes);
        if (performance.now() >= storeFrom) {
          const inHand = pieces.slice();
          storing = storing
            .then(() => this.storePieces(index, inHand))
            .catch((error: unknown) => void (storeFailure ??= error));
        }
      }
    } catch (error) {
      await storing;
      throw error;
    }
  }

  /** Reads `length` bytes, counting them as they arrive; bytes of a read that fails are not kept. */
  private async readCounted(body: BodyReader, length: number): Promise<Uint8Array> {
    const path = this.record.path;
    let received = 0;
    try {
      return await body.readExactly(length, (n) => {
        received += n;
        this.options.progress?.addBytes(path, n);
      });
    } catch (error) {
      this.options.progress?.dropBytes(path, received);
      throw error;
    }
  }

  /**
   * Stores the pieces in hand that are not stored yet, and records them; a store without pieces keeps
   * them in memory only, for a retry.
   */
  private async storePieces(index: number, pieces: readonly Uint8Array[]): Promise<void> {
    const { store } = this.options;
    const first = this.storedPieces.get(index) ?? 0;
    if (!store.writePiece || first === pieces.length) return;
    for (let piece = first; piece < pieces.length; piece++)
      await this.storageStep(async () => store.writePiece?.(this.record, index, piece, pieces[piece]));
    this.storedPieces.set(index, pieces.length);
    await this.storageStep(() => this.saveRecord());
  }

  /**
   * Receives chunk `index` through `readBytes` within the hasher's memory budget, stores it, hands it to
   * the hasher (which takes over the reservation) and records it as done.
   */
  private async receiveChunk(index: number, readBytes: () => Promise<Uint8Array>): Promise<void> {
    await this.hasher?.reserve();
    let bytes: Uint8Array;
    try {
      bytes = await readBytes();
      await this.storageStep(() => this.options.store.writeChunk(this.record, index, bytes));
    } catch (error) {
      this.hasher?.release();
      throw error;
    }
    // Last use of the bytes: the hasher may transfer them to its Worker.
    this.hasher?.accept(index, bytes);
    this.done.add(index);
    const pieces = this.storedPieces.get(index) ?? 0;
    this.storedPieces.delete(index);
    this.piecesInHand.delete(index);
    await this.storageStep(() => this.saveRecord());
    // Only once the record no longer names them: a reload between the two finds the chunk whole.
    if (pieces > 0) await this.options.store.deletePieces?.(this.record, index, pieces);
  }

  /** Every response must come from the same version of the file as the record. */
  private checkSameFile(opened: OpenedRange): void {
    const sizeDiffers = opened.total !== undefined && opened.total !== this.record.size;
    const etagDiffers =
      opened.etag !== undefined && this.record.etag !== undefined && opened.etag !== this.record.etag;
    if (sizeDiffers || etagDiffers) {
      throw new DownloadError(
        'file-changed',
        `${this.record.url} changed during the download (ETag ${this.record.etag} → ${opened.etag}, ` +
          `size ${this.record.size} → ${opened.total})`,
        // The server's copy is being replaced: a later download finds it settled.
        { resumable: true },
      );
    }
  }

  /** Runs a write to the store; a full store becomes a QuotaError stating what is still needed. */
  private storageStep(write: () => Promise<void>): Promise<void> {
    const needed = () => this.record.size - storedBytes(this.record);
    return writeOrQuotaError(write, this.record.path, needed, this.options.storage);
  }

  /** Record writes run one at a time, each with a snapshot, so the last one written is the newest. */
  private saveRecord(): Promise<void> {
    this.record.doneChunks = [...this.done].sort((a, b) => a - b);
    this.record.partialChunks = [...this.storedPieces]
      .map(([index, pieces]) => ({ index, pieces }))
      .sort((a, b) => a.index - b.index);
    this.record.updatedAt = Date.now();
    const snapshot = {
      ...this.record,
      doneChunks: [...this.record.doneChunks],
      partialChunks: [...this.record.partialChunks],
    };
    this.saving = this.saving.then(() => this.options.store.putRecord(snapshot));
    return this.saving;
  }

  private async finish(fromStore: boolean): Promise<FileRecord> {
    const { progress, store } = this.options;
    if (this.hasher) {
      progress?.setState(this.record.path, 'verifying');
      const actual = await this.hasher.digest();
      const expected = this.record.sha256;
      if (expected !== undefined && actual !== expected) {
        await store.deleteFile(this.record);
        throw new IntegrityError(this.record.path, expected, actual);
      }
      if (expected === undefined) this.record.recordedSha256 = actual;
      else this.record.verified = true;
      await this.saveRecord();
      if (expected !== undefined)
        this.downloader.emit({ type: 'file-verified', ...fileId(this.record), sha256: actual });
    }
    await store.commitFile?.(this.record);
    progress?.setState(this.record.path, 'done');
    this.downloader.emit({ type: 'file-done', ...fileId(this.record), fromStore });
    return this.record;
  }

  private missingChunks(): number[] {
    return Array.from({ length: chunkCount(this.record) }, (_, index) => index).filter(
      (i) => !this.done.has(i),
    );
  }

  private http(signal = this.options.signal): HttpContext {
    return { fetch: this.options.fetch, stallTimeoutMs: this.options.stallTimeoutMs, signal };
  }

  /** Retries under the options' policy; each retry is an event and the progress note until one succeeds. */
  private async withRetry<T>(request: () => Promise<T>, signal = this.options.signal): Promise<T> {
    let retried = false;
    const result = await withRetry(request, this.options.retry, signal, (notice) => {
      retried = true;
      this.downloader.emit({
        type: 'retry',
        ...fileId(this.target),
        attempt: notice.attempt,
        delayMs: notice.delayMs,
        message: `${this.target.path}: ${describeRetry(notice)}`,
      });
    });
    if (retried) this.options.progress?.setNote(undefined);
    return result;
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw abortError(`Download of ${this.target.path} was cancelled.`);
  }
}

const STALE_REASONS: Partial<Record<RestartReason, string>> = {
  'etag-changed': 'changed on the server (new ETag)',
  'size-changed': 'changed on the server (new size)',
  'sha256-changed': 'has a new SHA-256 in the manifest',
  'url-changed': 'comes from a new URL and has no SHA-256 to prove it is the same file',
};

/**
 * Refuses a first answer that is not the file the manifest describes, before a byte of it is stored: an
 * HTML page (a dev server's fallback for a missing path answers 200 with its index.html), a size other
 * than the manifest's, or, for an ONNX file, first bytes that cannot start a ModelProto. Returns the size.
 */
async function checkIsTheFile(opened: OpenedRange, target: DownloadTarget): Promise<number> {
  const { url, bytes, format } = target;
  const answered = `${url} answered ${opened.status}`;
  if (/^text\/html\b/i.test(opened.contentType ?? '')) {
    const size = opened.total === undefined ? 'size not stated' : formatBytes(opened.total);
    const what = format === 'onnx' ? 'an ONNX model' : 'the file';
    throw new DownloadError(
      'not-a-model',
      `${answered} with text/html (${size}), not ${what}: is the mirror folder (or the manifest's baseUrl) there?`,
    );
  }
  const total = opened.total ?? bytes;
  if (total === undefined) {
    throw new DownloadError(
      'bad-response',
      `${url}: the server did not state the file's size (CORS hiding Content-Range?)`,
    );
  }
  if (bytes !== undefined && total !== bytes) {
    throw new DownloadError(
      'size-mismatch',
      `${url} is ${total} bytes on the server but ${bytes} in the manifest`,
    );
  }
  if (format === 'onnx') {
    const first = await opened.body.peek(Math.min(ONNX_HEADER_BYTES, total));
    if (!canStartOnnxModel(first)) {
      throw new DownloadError(
        'not-a-model',
        `${answered} starting with ${describeBytes(first)}, which cannot begin an ONNX model: is it the right file?`,
      );
    }
  }
  return total;
}

/** Failures that a fresh start of the file may cure; the downloader restarts a file once at most. */
function restartReason(error: unknown): RestartReason | undefined {
  if (isAbortError(error)) return undefined;
  if (error instanceof IntegrityError) return 'hash-mismatch';
  if (error instanceof DownloadError && error.kind === 'file-changed') return 'changed-during-download';
  return undefined;
}

/** `options` over `defaults`, where an option given as undefined keeps the default. */
function withDefaults<O extends object, D extends object>(options: O, defaults: D): O & D {
  const given = Object.entries(options).filter(([, value]) => value !== undefined);
  return { ...defaults, ...Object.fromEntries(given) } as O & D;
}

function fileId(id: StoredFileId): StoredFileId {
  return { modelId: id.modelId, path: id.path };
}
