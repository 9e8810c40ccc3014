/**
 * Download benchmark page, driven by bench/download/run.ts as `window.downloadBench`: one plain fetch of
 * a file, the downloader (ChunkedDownloader, the engine under downloadModel) into IndexedDB or into a store
 * that drops the bytes, and reading the stored file back into one buffer (what loadModelFile hands ORT).
 * Only times are measured here; memory is sampled from outside, in /proc.
 */
import {
  ChunkedDownloader,
  IdbChunkStore,
  ProgressTracker,
  chunkCount,
  readStoredFile,
  type ChunkStore,
  type FileRecord,
  type StoredFileId,
} from '../../src/pipeline/storage/index.js';
import { createSha256Stream } from '../../src/pipeline/storage/sha256.js';

const MODEL_ID = 'download-bench';
const idbStore = new IdbChunkStore({ chunksDb: 'download-bench-chunks', recordsDb: 'download-bench-files' });

/** Keeps records in memory and drops every chunk: the downloader's network and chunking path alone. */
class DiscardingStore implements ChunkStore {
  private readonly records = new Map<string, FileRecord>();
  async getRecord(id: StoredFileId): Promise<FileRecord | undefined> {
    return this.records.get(id.path);
  }
  async putRecord(record: FileRecord): Promise<void> {
    this.records.set(record.path, record);
  }
  async listRecords(): Promise<FileRecord[]> {
    return [...this.records.values()];
  }
  async writeChunk(): Promise<void> {}
  async readChunk(): Promise<Uint8Array> {
    throw new Error('the discarding store keeps no bytes');
  }
  async deleteFile(id: StoredFileId): Promise<void> {
    this.records.delete(id.path);
  }
}

export interface DownloadRun {
  url: string;
  /** Stored under this path (a fresh one per run). */
  path: string;
  size: number;
  /** Verify against this SHA-256, as a manifest entry with a hash makes the downloader do. */
  sha256?: string;
  chunkSize: number;
  pieceSize: number;
  concurrency: number;
  store: 'indexeddb' | 'discard';
}

export interface Timed {
  bytes: number;
  ms: number;
}

const downloadBench = {
  /** One fetch of the whole file; the body is read to its end and dropped. */
  async plainFetch(url: string): Promise<Timed> {
    const started = performance.now();
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} for ${url}`);
    const reader = response.body.getReader();
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
    return { bytes, ms: performance.now() - started };
  },

  async download(run: DownloadRun): Promise<Timed & { verified: boolean; progressReports: number }> {
    let progressReports = 0;
    const store = run.store === 'indexeddb' ? idbStore : new DiscardingStore();
    const downloader = new ChunkedDownloader({
      store,
      chunkSize: run.chunkSize,
      pieceSize: run.pieceSize,
      concurrency: run.concurrency,
      // As downloadModel sets it up: a tracker reporting every 100 ms.
      progress: new ProgressTracker(MODEL_ID, { onProgress: () => progressReports++ }),
    });
    const started = performance.now();
    const record = await downloader.download({
      modelId: MODEL_ID,
      path: run.path,
      url: run.url,
      bytes: run.size,
      sha256: run.sha256,
    });
    return {
      bytes: record.size,
      ms: performance.now() - started,
      verified: record.verified,
      progressReports,
    };
  },

  /**
   * The downloader's SHA-256 stream alone (a hashing Worker) over `bytes` of random data, one fresh
   * chunk-sized buffer per update as the downloader hands them over: the ceiling of a verified download.
   */
  async hashAlone(bytes: number, chunkSize: number): Promise<Timed & { thread: string }> {
    const template = randomBytes(chunkSize);
    const started = performance.now();
    const stream = await createSha256Stream();
    const updates: Promise<void>[] = [];
    for (let done = 0; done < bytes; done += chunkSize) {
      updates.push(stream.update(template.slice(0, Math.min(chunkSize, bytes - done))));
      // Two in the queue, as the downloader keeps it: no more memory than that.
      if (updates.length >= 2) await updates.shift();
    }
    await Promise.all(updates);
    await stream.digest();
    return { bytes, ms: performance.now() - started, thread: stream.thread };
  },

  /**
   * WebCrypto's native SHA-256 over the same data, one digest per chunk: a reference for the speed of
   * native code on this CPU. It cannot verify a file (WebCrypto has no incremental hash).
   */
  async webCryptoAlone(bytes: number, chunkSize: number): Promise<Timed> {
    const template = randomBytes(chunkSize);
    const started = performance.now();
    for (let done = 0; done < bytes; done += chunkSize) {
      await crypto.subtle.digest('SHA-256', template.subarray(0, Math.min(chunkSize, bytes - done)));
    }
    return { bytes, ms: performance.now() - started };
  },

  /**
   * The stored chunks copied into one Uint8Array with no SHA-256 check: readStoredFile without its
   * verification, so that the difference between the two is what checking on every load costs.
   */
  async readUnchecked(path: string): Promise<Timed> {
    const started = performance.now();
    const record = await idbStore.getRecord({ modelId: MODEL_ID, path });
    if (!record) throw new Error(`${path} is not stored`);
    const bytes = new Uint8Array(record.size);
    for (let index = 0; index < chunkCount(record); index++) {
      bytes.set(await idbStore.readChunk(record, index), index * record.chunkSize);
    }
    return { bytes: bytes.byteLength, ms: performance.now() - started };
  },

  /** readStoredFile: the whole stored file into one Uint8Array, checked against its SHA-256, as loadModelFile gives it to ORT. */
  async readStored(path: string): Promise<Timed> {
    const started = performance.now();
    const bytes = await readStoredFile(idbStore, { modelId: MODEL_ID, path });
    const ms = performance.now() - started;
    // Touch the last byte so the buffer is certainly materialized.
    if (bytes[bytes.byteLength - 1] === undefined) throw new Error('empty read');
    return { bytes: bytes.byteLength, ms };
  },

  async remove(path: string): Promise<void> {
    await idbStore.deleteFile({ modelId: MODEL_ID, path });
  },

  /** What the origin uses, as the browser estimates it. */
  async usage(): Promise<number | undefined> {
    return (await navigator.storage.estimate()).usage;
  },
};

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 64 KiB per call.
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(offset + 65536, length)));
  }
  return bytes;
}

declare global {
  interface Window {
    downloadBench: typeof downloadBench;
  }
}
window.downloadBench = downloadBench;
document.body.dataset.ready = 'true';
