/**
 * Test page: the downloader into IndexedDB, and the pipeline loading from what it stored, as
 * `window.downloadTest`. A download runs in the background (`start`) so that the test can reload the page
 * while it is under way; `state()` tells how far it got.
 */
import {
  IdbChunkStore,
  TextToImagePipeline,
  downloadModel,
  getModel,
  loadManifest,
  loadModelFile,
  type DownloadEvent,
  type DownloadProgress,
  type ModelEntry,
  type ModelStageName,
  type StageName,
} from '../../src/pipeline/index.js';
import { readStoredFile, storedBytes, type FileRecord } from '../../src/pipeline/storage/index.js';
import { createSha256Stream } from '../../src/pipeline/storage/sha256.js';
import { outcome } from './outcome.js';

/** Databases of this page only: other tests' stores (and the app's) stay apart. */
const store = new IdbChunkStore({ chunksDb: 'download-test-chunks', recordsDb: 'download-test-files' });

export interface DownloadSettings {
  manifestUrl: string;
  modelId: string;
  chunkSize: number;
  /** Bytes per stored piece of a chunk still arriving (the downloader's default when absent). */
  pieceSize?: number;
  /** How long a chunk arrives before its pieces are stored (the downloader's default when absent). */
  storePiecesAfterMs?: number;
  concurrency: number;
  /** A self-hosted copy to fetch from instead of the manifest's baseUrl. */
  mirrorBaseUrl?: string;
}

interface DownloadState {
  progress?: DownloadProgress;
  /** bytesDone / bytesTotal of the last progress report. */
  fraction: number;
  events: DownloadEvent[];
  done: boolean;
  error?: string;
}

const state: DownloadState = { fraction: 0, events: [], done: false };

async function modelOf(settings: Pick<DownloadSettings, 'manifestUrl' | 'modelId'>): Promise<ModelEntry> {
  return getModel(await loadManifest(settings.manifestUrl), settings.modelId);
}

async function download(settings: DownloadSettings): Promise<void> {
  const model = await modelOf(settings);
  await downloadModel(model, {
    store,
    manifestUrl: settings.manifestUrl,
    mirrorBaseUrl: settings.mirrorBaseUrl,
    chunkSize: settings.chunkSize,
    pieceSize: settings.pieceSize,
    storePiecesAfterMs: settings.storePiecesAfterMs,
    concurrency: settings.concurrency,
    progressIntervalMs: 0,
    onProgress: (progress) => {
      state.progress = progress;
      state.fraction = progress.bytesTotal > 0 ? progress.bytesDone / progress.bytesTotal : 0;
    },
    onEvent: (event) => state.events.push(event),
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  parts.reduce((offset, part) => (whole.set(part, offset), offset + part.byteLength), 0);
  return whole;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // A copy: subtle.digest wants an ArrayBuffer-backed view, not one that may be shared.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

const downloadTest = {
  /** Starts a download and returns at once; `state()` follows it. */
  start(settings: DownloadSettings): void {
    download(settings).then(
      () => (state.done = true),
      (error: Error) => (state.error = `${error.name}: ${error.message}`),
    );
  },
  /** Runs a download to its end. */
  run: (settings: DownloadSettings) =>
    outcome(async () => {
      await download(settings);
      return { events: state.events, progress: state.progress };
    }),
  state: () => ({
    fraction: state.fraction,
    bytesDone: state.progress?.bytesDone ?? 0,
    done: state.done,
    error: state.error,
  }),
  /** What the store holds for each of the model's files, per stage: the chunks done, the pieces, the bytes. */
  stored: (settings: Pick<DownloadSettings, 'manifestUrl' | 'modelId'>) =>
    outcome(async () => {
      const model = await modelOf(settings);
      type StoredFile = Pick<FileRecord, 'doneChunks' | 'partialChunks' | 'chunkSize' | 'pieceSize' | 'size'>;
      const files: Partial<Record<ModelStageName, StoredFile & { bytesStored: number }>> = {};
      for (const [stage, { file }] of Object.entries(model.stages) as [
        ModelStageName,
        { file: { path: string } },
      ][]) {
        const record = await store.getRecord({ modelId: model.id, path: file.path });
        if (record) {
          const { doneChunks, partialChunks, chunkSize, pieceSize, size } = record;
          files[stage] = {
            doneChunks,
            partialChunks,
            chunkSize,
            pieceSize,
            size,
            bytesStored: storedBytes(record),
          };
        }
      }
      return files;
    }),
  /** SHA-256 of each stored file, read back from IndexedDB (not the downloader's own verification). */
  storedHashes: (settings: Pick<DownloadSettings, 'manifestUrl' | 'modelId'>) =>
    outcome(async () => {
      const model = await modelOf(settings);
      const hashes: Partial<Record<ModelStageName, { sha256: string; bytes: number; verified: boolean }>> =
        {};
      for (const [stage, { file }] of Object.entries(model.stages) as [
        ModelStageName,
        { file: { path: string } },
      ][]) {
        const id = { modelId: model.id, path: file.path };
        const bytes = await readStoredFile(store, id);
        const record = await store.getRecord(id);
        hashes[stage] = {
          sha256: await sha256Hex(bytes),
          bytes: bytes.byteLength,
          verified: !!record?.verified,
        };
      }
      return hashes;
    }),
  /**
   * The downloader's SHA-256 stream over `pieces` pieces of pseudo-random bytes (seeded), each given up
   * as the downloader does: where it hashed, the digest, and whether the pieces were transferred away.
   */
  sha256Stream: (pieces: number[]) =>
    outcome(async () => {
      const stream = await createSha256Stream();
      const given: Uint8Array[] = [];
      let seed = 1;
      for (const length of pieces) {
        const bytes = new Uint8Array(length);
        for (let i = 0; i < length; i++) {
          seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
          bytes[i] = seed >>> 24;
        }
        given.push(bytes);
      }
      const reference = await sha256Hex(concat(given));
      await Promise.all(given.map((bytes) => stream.update(bytes)));
      return {
        thread: stream.thread,
        hex: await stream.digest(),
        reference,
        transferred: given.every((bytes) => bytes.byteLength === 0),
      };
    }),
  /** What the store recorded for a stage's file: the manifest's SHA-256 and the one computed at download. */
  digests: (settings: Pick<DownloadSettings, 'manifestUrl' | 'modelId'>, stage: StageName) =>
    outcome(async () => {
      const model = await modelOf(settings);
      const record = await store.getRecord({ modelId: model.id, path: model.stages[stage].file.path });
      return { sha256: record?.sha256, recordedSha256: record?.recordedSha256, verified: record?.verified };
    }),
  /** Flips the lowest bit of byte `offset` of chunk `index` of a stage's stored file, in IndexedDB itself. */
  flipStoredBit: (
    settings: Pick<DownloadSettings, 'manifestUrl' | 'modelId'>,
    stage: StageName,
    index: number,
    offset: number,
  ) =>
    outcome(async () => {
      const model = await modelOf(settings);
      const record = await store.getRecord({ modelId: model.id, path: model.stages[stage].file.path });
      if (!record) throw new Error(`${stage} is not stored`);
      const chunk = await store.readChunk(record, index);
      chunk[offset] ^= 1;
      await store.writeChunk(record, index, chunk);
    }),
  /** loadModelFile, as the pipeline loads a stage: its size and how long the read (and check) took. */
  loadStage: (settings: Pick<DownloadSettings, 'manifestUrl' | 'modelId'>, stage: StageName) =>
    outcome(async () => {
      const model = await modelOf(settings);
      const started = performance.now();
      const bytes = await loadModelFile(model, stage, store);
      return { bytes: bytes.byteLength, ms: performance.now() - started };
    }),
  /** Creates the pipeline from the stored files only and makes one image. */
  generate: (settings: Pick<DownloadSettings, 'manifestUrl' | 'modelId'>, prompt: string, seed: number) =>
    outcome(async () => {
      const model = await modelOf(settings);
      // wasm: what is shown is that the weights come from the store, which feeds every EP alike, and the
      // tiny model loads in about a second there against 20 s on SwiftShader's WebGPU.
      const pipeline = await TextToImagePipeline.create(model, {
        provider: 'wasm',
        loadStage: (stage) => loadModelFile(model, stage, store),
      });
      const result = await pipeline.generate({ prompt, seed, steps: 1 });
      const pixels = result.pixels ?? new Uint8ClampedArray(0);
      const distinctRed = new Set(pixels.filter((_, i) => i % 4 === 0)).size;
      const opaque = pixels.filter((_, i) => i % 4 === 3).every((alpha) => alpha === 255);
      return {
        width: result.width,
        height: result.height,
        pixelBytes: pixels.length,
        distinctRed,
        opaque,
        provider: pipeline.provider.provider,
      };
    }),
};

declare global {
  interface Window {
    downloadTest: typeof downloadTest;
  }
}
window.downloadTest = downloadTest;
document.body.dataset.ready = 'true';
