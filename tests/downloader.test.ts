import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelEntry, ModelFile, StageName } from '../src/pipeline/model/manifest-types.js';
import {
  ChunkedDownloader,
  DownloadError,
  FsChunkStore,
  IdbChunkStore,
  InProcessLockManager,
  IntegrityError,
  ProgressTracker,
  QuotaError,
  RateMeter,
  deleteStoredModel,
  downloadModel,
  listStoredModels,
  loadModelFiles,
  readStoredFile,
  storedBytes,
  streamStoredFile,
  verifyStoredModel,
  type ChunkStore,
  type ChunkedDownloaderOptions,
  type DownloadEvent,
  type DownloadProgress,
  type DownloadTarget,
  type FileRecord,
  type StorageManagerLike,
} from '../src/pipeline/storage/node.js';
import { downloadTestModel } from './support/download-test-model.js';
import { onnxTestBytes, RangeServer, testBytes } from './support/range-server.js';
import type { onnx as OnnxNamespace } from 'onnx-proto';
import { canStartOnnxModel, ONNX_HEADER_BYTES } from '../src/pipeline/model/onnx/onnx-header.js';

// onnx-proto is CommonJS that replaces module.exports: require() is the way in (as in scripts/tiny-models).
const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNamespace };

const CHUNK = 256 * 1024;
/** The downloader's first request for a file asks for bytes=0-1 to learn its size and ETag. */
const PROBE_BYTES = 2;
/** Five chunks, the last one short. */
const SIZE = 4 * CHUNK + 1000;
const MODEL = 'test-model';
const PATH = 'unet/model.onnx';

let server: RangeServer;
let source: Uint8Array;
let sleeps: number[];
const tempDirs: string[] = [];
let storeCount = 0;

beforeAll(async () => {
  server = await RangeServer.start();
});
afterAll(async () => {
  await server.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  source = testBytes(SIZE, 7);
  server.setFile(PATH, source);
  server.clearFaults();
  server.resetCounters();
  sleeps = [];
});

const storeFactories: Record<string, () => ChunkStore> = {
  indexeddb: () =>
    new IdbChunkStore({ chunksDb: `chunks-${++storeCount}`, recordsDb: `files-${storeCount}` }),
  filesystem: () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-turbo-download-'));
    tempDirs.push(dir);
    return new FsChunkStore(dir);
  },
};

function hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function target(extra: Partial<DownloadTarget> = {}): DownloadTarget {
  return { modelId: MODEL, path: PATH, url: server.url(PATH), ...extra };
}

function downloader(store: ChunkStore, options: Partial<ChunkedDownloaderOptions> = {}): ChunkedDownloader {
  return new ChunkedDownloader({
    store,
    chunkSize: CHUNK,
    concurrency: 2,
    ...options,
    retry: {
      maxAttempts: 4,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options.retry,
    },
  });
}

/** A store that aborts `controller` once `count` chunks have been written. */
function abortAfterWrites(store: ChunkStore, count: number, controller: AbortController): ChunkStore {
  let written = 0;
  return wrapStore(store, {
    writeChunk: async (record, index, bytes) => {
      await store.writeChunk(record, index, bytes);
      if (++written === count) controller.abort();
    },
  });
}

function wrapStore(store: ChunkStore, overrides: Partial<ChunkStore>): ChunkStore {
  return {
    getRecord: (id) => store.getRecord(id),
    putRecord: (record) => store.putRecord(record),
    listRecords: () => store.listRecords(),
    writeChunk: (record, index, bytes) => store.writeChunk(record, index, bytes),
    readChunk: (record, index) => store.readChunk(record, index),
    writePiece: async (record, index, piece, bytes) => store.writePiece?.(record, index, piece, bytes),
    readPiece: async (record, index, piece) => {
      const bytes = await store.readPiece?.(record, index, piece);
      if (!bytes) throw new Error('the wrapped store keeps no pieces');
      return bytes;
    },
    deletePieces: async (record, index, pieces) => store.deletePieces?.(record, index, pieces),
    deleteFile: (id) => store.deleteFile(id),
    commitFile: async (record) => store.commitFile?.(record),
    ...overrides,
  };
}

async function expectStoredEqual(store: ChunkStore, expected: Uint8Array, path = PATH): Promise<void> {
  const stored = await readStoredFile(store, { modelId: MODEL, path });
  expect(stored.byteLength).toBe(expected.byteLength);
  expect(Buffer.from(stored).equals(Buffer.from(expected))).toBe(true);
}

/** Replaces a stored chunk's bytes behind the downloader's back, as a disk or a browser bug might. */
async function overwriteStoredChunk(
  store: ChunkStore,
  record: FileRecord,
  index: number,
  bytes: Uint8Array,
): Promise<void> {
  if (!(store instanceof FsChunkStore)) return store.writeChunk(record, index, bytes);
  // The finished file is at its final name; writeChunk writes only unfinished (.partial) files.
  const file = await open(store.filePath(record), 'r+');
  try {
    await file.write(bytes, 0, bytes.byteLength, index * record.chunkSize);
  } finally {
    await file.close();
  }
}

function restartEvents(events: DownloadEvent[]) {
  return events.filter((event) => event.type === 'file-restarted');
}

describe.each(Object.keys(storeFactories))('ChunkedDownloader with the %s store', (storeName) => {
  let store: ChunkStore;
  beforeEach(() => {
    store = storeFactories[storeName]();
  });

  it('downloads a file in Range chunks and stores it byte for byte', async () => {
    const record = await downloader(store).download(target({ bytes: SIZE, sha256: hex(source) }));
    expect(record).toMatchObject({
      size: SIZE,
      chunkSize: CHUNK,
      verified: true,
      doneChunks: [0, 1, 2, 3, 4],
    });
    await expectStoredEqual(store, source);
    // The probe's bytes, then each chunk exactly once.
    expect(server.bytesSent(PATH)).toBe(SIZE + PROBE_BYTES);
    expect(server.requestsFor(PATH).map((request) => request.status)).toEqual([206, 206, 206, 206, 206, 206]);
  });

  it('resumes after an abort and fetches only the missing chunks', async () => {
    const controller = new AbortController();
    const first = downloader(abortAfterWrites(store, 2, controller), {
      concurrency: 1,
      signal: controller.signal,
    });
    await expect(first.download(target())).rejects.toMatchObject({ name: 'AbortError' });
    expect((await store.getRecord(target()))?.doneChunks).toEqual([0, 1]);
    expect(server.bytesSent(PATH)).toBeLessThanOrEqual(3 * CHUNK + PROBE_BYTES);

    server.resetCounters();
    await downloader(store).download(target());
    await expectStoredEqual(store, source);
    expect(server.bytesSent(PATH)).toBe(SIZE - 2 * CHUNK + PROBE_BYTES);
  });

  it('cancels promptly while a response stalls, keeping the stored chunks', async () => {
    server.addFault(
      PATH,
      { kind: 'stall', afterBytes: 1000 },
      { when: (range) => range.start === 2 * CHUNK },
    );
    const controller = new AbortController();
    const stalled = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (server.requests.some((request) => request.fault === 'stall')) resolve(clearInterval(timer));
      }, 5);
    });
    const download = downloader(store, { concurrency: 1, signal: controller.signal }).download(target());
    await stalled;
    const abortedAt = performance.now();
    controller.abort();
    await expect(download).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - abortedAt).toBeLessThan(500);
    expect((await store.getRecord(target()))?.doneChunks).toEqual([0, 1]);
  });

  it('retries a connection dropped mid-chunk', async () => {
    server.addFault(
      PATH,
      { kind: 'drop', afterBytes: CHUNK / 2 },
      { times: 1, when: (r) => r.start === CHUNK },
    );
    const events: DownloadEvent[] = [];
    await downloader(store, { onEvent: (event) => events.push(event) }).download(target());
    await expectStoredEqual(store, source);
    expect(events.filter((event) => event.type === 'retry')).toHaveLength(1);
    expect(server.bytesSent(PATH)).toBe(SIZE + PROBE_BYTES + CHUNK / 2);
  });

  it('stores a file from a server that ignores Range, streaming the 200 body into chunks', async () => {
    server.addFault(PATH, { kind: 'ignore-range' });
    await downloader(store).download(target({ sha256: hex(source) }));
    await expectStoredEqual(store, source);
    expect(server.requestsFor(PATH)).toHaveLength(1);
    expect(server.bytesSent(PATH)).toBe(SIZE);
  });

  it('resumes a 200 stream that dropped from the first missing chunk', async () => {
    server.addFault(PATH, { kind: 'ignore-range', dropAfterBytes: 2.5 * CHUNK }, { times: 1 });
    await downloader(store).download(target({ sha256: hex(source) }));
    await expectStoredEqual(store, source);
    expect(server.requestsFor(PATH).map((request) => request.range)).toEqual([
      'bytes=0-1',
      `bytes=${2 * CHUNK}-`,
    ]);
    expect(server.bytesSent(PATH)).toBe(2.5 * CHUNK + SIZE - 2 * CHUNK);
  });

  it('discards a corrupted download, fetches the file once more and verifies it', async () => {
    const offset = 3 * CHUNK + 5;
    server.addFault(PATH, { kind: 'corrupt', offset }, { times: 1, when: (r) => r.start === 3 * CHUNK });
    const events: DownloadEvent[] = [];
    await downloader(store, { onEvent: (event) => events.push(event) }).download(
      target({ sha256: hex(source) }),
    );
    await expectStoredEqual(store, source);
    expect(restartEvents(events)).toMatchObject([{ path: PATH, reason: 'hash-mismatch' }]);
  });

  it('fails with both hashes when the file stays corrupt, and keeps none of it', async () => {
    const corrupt = source.slice();
    corrupt[SIZE - 1] ^= 1;
    server.setFile(PATH, corrupt);
    const error = await downloader(store)
      .download(target({ sha256: hex(source) }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toBe(
      `${PATH} failed verification: expected SHA-256 ${hex(source)}, got ${hex(corrupt)}`,
    );
    expect(await store.getRecord(target())).toBeUndefined();
  });

  it('starts over, and says so, when the file changed on the server between two runs', async () => {
    const controller = new AbortController();
    await downloader(abortAfterWrites(store, 2, controller), { concurrency: 1, signal: controller.signal })
      .download(target())
      .catch(() => undefined);
    const changed = testBytes(SIZE, 99);
    server.setFile(PATH, changed);
    const events: DownloadEvent[] = [];
    await downloader(store, { onEvent: (event) => events.push(event) }).download(target());
    await expectStoredEqual(store, changed);
    expect(restartEvents(events)).toMatchObject([{ modelId: MODEL, path: PATH, reason: 'etag-changed' }]);
  });

  it('starts over when the file changes during the download', async () => {
    const changed = testBytes(SIZE, 42);
    let written = 0;
    const swapping = wrapStore(store, {
      writeChunk: async (record, index, bytes) => {
        await store.writeChunk(record, index, bytes);
        if (++written === 1) server.setFile(PATH, changed);
      },
    });
    const events: DownloadEvent[] = [];
    await downloader(swapping, { concurrency: 1, onEvent: (event) => events.push(event) }).download(target());
    await expectStoredEqual(store, changed);
    expect(restartEvents(events)).toMatchObject([{ path: PATH, reason: 'changed-during-download' }]);
  });

  it.each([
    ['recorded when it was downloaded', undefined],
    ['the manifest gives', 'manifest'],
  ])('checks every read against the SHA-256 %s, refusing a file changed in storage', async (since, hash) => {
    const sha256 = hash ? hex(source) : undefined;
    const record = await downloader(store).download(target({ sha256 }));
    expect(record).toMatchObject({ sha256, verified: sha256 !== undefined });
    expect(record.recordedSha256).toBe(sha256 ? undefined : hex(source));
    expect((await store.getRecord(target()))?.recordedSha256).toBe(record.recordedSha256);
    await expectStoredEqual(store, source);

    const corrupted = source.slice();
    corrupted[2 * CHUNK + 17] ^= 0x01;
    await overwriteStoredChunk(store, record, 2, corrupted.subarray(2 * CHUNK, 3 * CHUNK));
    const error = await readStoredFile(store, target()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error).toMatchObject({
      code: 'corrupt',
      message:
        `${PATH} of model ${MODEL} is corrupt in storage: its SHA-256 is ${hex(corrupted)}, ` +
        `not the ${hex(source)} ${since}. Delete it and download it again.`,
    });
  });

  it('streams a stored file chunk by chunk, its SHA-256 checked after the last chunk', async () => {
    const record = await downloader(store).download(target({ sha256: hex(source) }));
    const chunks: Uint8Array[] = [];
    for await (const chunk of streamStoredFile(store, target())) chunks.push(chunk.slice());
    expect(chunks.map((chunk) => chunk.byteLength)).toEqual(
      Array.from({ length: Math.ceil(SIZE / CHUNK) }, (_, index) => Math.min(CHUNK, SIZE - index * CHUNK)),
    );
    expect(Buffer.concat(chunks).equals(Buffer.from(source))).toBe(true);

    const corrupted = source.slice();
    corrupted[CHUNK + 5] ^= 0x10;
    await overwriteStoredChunk(store, record, 1, corrupted.subarray(CHUNK, 2 * CHUNK));
    let chunksRead = 0;
    const readAll = async () => {
      for await (const chunk of streamStoredFile(store, target())) chunksRead += chunk.byteLength > 0 ? 1 : 0;
    };
    const error = await readAll().catch((e: unknown) => e);
    expect(chunksRead).toBe(chunks.length);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error).toMatchObject({ message: expect.stringContaining(`its SHA-256 is ${hex(corrupted)}`) });
  });

  it('stops cleanly with a QuotaError when the store is full, keeping what was stored', async () => {
    let written = 0;
    const full = wrapStore(store, {
      writeChunk: async (record, index, bytes) => {
        if (++written > 2) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        await store.writeChunk(record, index, bytes);
      },
    });
    const error = await downloader(full, { concurrency: 1 })
      .download(target())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaError);
    expect(error).toMatchObject({
      code: 'quota',
      message: `Storage full while storing ${PATH}: 525.3 kB still needed`,
    });
    expect((await store.getRecord(target()))?.doneChunks).toEqual([0, 1]);
  });
});

/** Pieces of a chunk still arriving, in the resume tests: four per chunk. */
const PIECE = CHUNK / 4;

/** [start, end) of a request's 'bytes=a-b' or 'bytes=a-'. */
function rangeOf(request: { range?: string }): { start: number; end?: number } {
  const match = /^bytes=(\d+)-(\d*)$/.exec(request.range ?? '');
  if (!match) throw new Error(`not a single range: ${request.range}`);
  return { start: Number(match[1]), end: match[2] === '' ? undefined : Number(match[2]) + 1 };
}

function expectNeverDecreasing(reports: readonly DownloadProgress[]): void {
  const done = reports.map((report) => report.bytesDone);
  expect(done).toEqual([...done].sort((a, b) => a - b));
}

describe.each(Object.keys(storeFactories))('resuming within a piece, with the %s store', (storeName) => {
  let store: ChunkStore;
  beforeEach(() => {
    store = storeFactories[storeName]();
  });
  /** Pieces stored as soon as they complete, however fast the loopback link. */
  const inPieces = { pieceSize: PIECE, storePiecesAfterMs: 0 };
  /** The same target in every session: a new SHA-256 would start the file over. */
  const hashed = () => target({ sha256: hex(source) });

  /** Progress reported at every byte count, into `reports`. */
  function tracker(reports: DownloadProgress[], onReport?: (report: DownloadProgress) => void) {
    return new ProgressTracker(MODEL, {
      intervalMs: 0,
      onProgress: (report) => {
        reports.push(report);
        onReport?.(report);
      },
    });
  }

  /**
   * Downloads until chunk 2 has `cut` of its bytes, then stops as `how` says: a reload (the page's abort)
   * or a connection that drops for good. Returns the bytes the first session had received.
   */
  async function cutAt(how: 'reload' | 'network cut', cut: number): Promise<number> {
    const controller = new AbortController();
    const reports: DownloadProgress[] = [];
    if (how === 'network cut')
      server.addFault(PATH, { kind: 'drop', afterBytes: cut }, { when: (r) => r.start === 2 * CHUNK });
    const progress = tracker(reports, (report) => {
      if (how === 'reload' && report.bytesDone >= 2 * CHUNK + cut) controller.abort();
    });
    progress.setFile(PATH, SIZE, 0, 'queued');
    const first = downloader(store, {
      ...inPieces,
      concurrency: 1,
      progress,
      signal: controller.signal,
      retry: { maxAttempts: 1 },
    });
    await expect(first.download(hashed())).rejects.toThrow();
    server.clearFaults();
    expectNeverDecreasing(reports);
    return reports.at(-1)?.bytesDone ?? 0;
  }

  it.each(['reload', 'network cut'] as const)(
    'after a %s mid-chunk, asks from the first byte after the last stored piece, with progress from there on',
    async (how) => {
      const received = await cutAt(how, 150_000);
      const kept = storedBytes((await store.getRecord(target())) as FileRecord);
      expect(received - kept).toBeGreaterThanOrEqual(0);
      expect(received - kept).toBeLessThan(PIECE);
      expect(kept % PIECE).toBe(0);
      expect(kept).toBeGreaterThan(2 * CHUNK);

      server.resetCounters();
      const reports: DownloadProgress[] = [];
      const progress = tracker(reports);
      progress.setFile(PATH, SIZE, 0, 'queued');
      const record = await downloader(store, { ...inPieces, concurrency: 1, progress }).download(hashed());
      expect(record).toMatchObject({ verified: true, doneChunks: [0, 1, 2, 3, 4], partialChunks: [] });
      await expectStoredEqual(store, source);
      const ranges = server.requestsFor(PATH).map(rangeOf);
      expect(ranges[1]).toEqual({ start: kept, end: 3 * CHUNK });
      expect(server.bytesSent(PATH)).toBe(SIZE - kept + PROBE_BYTES);
      expect(reports[0].bytesDone).toBe(kept);
      expectNeverDecreasing(reports);
      expect(reports.at(-1)).toMatchObject({ bytesDone: SIZE, phase: 'done' });
    },
  );

  it('goes on after the stored pieces when a connection drops and is retried, progress never going back', async () => {
    server.addFault(
      PATH,
      { kind: 'drop', afterBytes: 150_000 },
      { times: 1, when: (r) => r.start === CHUNK },
    );
    const reports: DownloadProgress[] = [];
    const progress = tracker(reports);
    progress.setFile(PATH, SIZE, 0, 'queued');
    await downloader(store, { ...inPieces, concurrency: 1, progress }).download(hashed());
    await expectStoredEqual(store, source);
    const retried = server.requestsFor(PATH).map(rangeOf)[3];
    expect(retried.start % PIECE).toBe(0);
    expect(retried.start).toBeGreaterThan(CHUNK);
    expect(retried.start).toBeLessThanOrEqual(CHUNK + 150_000);
    expectNeverDecreasing(reports);
    expect(reports.at(-1)).toMatchObject({ bytesDone: SIZE, phase: 'done' });
  });

  it('resumes a server that ignores Range from the stored pieces, skipping what it has', async () => {
    await cutAt('reload', 150_000);
    const kept = storedBytes((await store.getRecord(target())) as FileRecord);
    server.addFault(PATH, { kind: 'ignore-range' });
    await downloader(store, inPieces).download(hashed());
    await expectStoredEqual(store, source);
    expect(kept).toBeGreaterThan(2 * CHUNK);
  });

  it('finds a corrupted stored piece by the SHA-256, and fetches the file again', async () => {
    await cutAt('reload', 150_000);
    const record = (await store.getRecord(target())) as FileRecord;
    const corrupted = source.slice(2 * CHUNK, 2 * CHUNK + PIECE);
    corrupted[17] ^= 0x01;
    await store.writePiece?.(record, 2, 0, corrupted);

    const events: DownloadEvent[] = [];
    const resumed = await downloader(store, {
      ...inPieces,
      onEvent: (event) => events.push(event),
    }).download(hashed());
    expect(resumed.verified).toBe(true);
    expect(restartEvents(events)).toMatchObject([{ path: PATH, reason: 'hash-mismatch' }]);
    await expectStoredEqual(store, source);
  });

  it('finds a truncated stored piece, and fetches that chunk whole again', async () => {
    await cutAt('reload', 150_000);
    const record = (await store.getRecord(target())) as FileRecord;
    const [{ index, pieces }] = record.partialChunks ?? [];
    expect(index).toBe(2);
    // The last stored piece loses all but 10 of its bytes.
    const last = 2 * CHUNK + (pieces - 1) * PIECE;
    if (store instanceof FsChunkStore) await truncate(store.partialPath(record), last + 10);
    else await store.writePiece?.(record, 2, pieces - 1, source.slice(last, last + 10));

    server.resetCounters();
    const reports: DownloadProgress[] = [];
    const progress = tracker(reports);
    progress.setFile(PATH, SIZE, 0, 'queued');
    await downloader(store, { ...inPieces, concurrency: 1, progress }).download(hashed());
    await expectStoredEqual(store, source);
    expect(server.requestsFor(PATH).map(rangeOf)[1]).toEqual({ start: 2 * CHUNK, end: 3 * CHUNK });
    expectNeverDecreasing(reports);
  });

  it('resumes a file begun before pieces (whole chunks, no pieceSize) and keeps its new chunks in pieces', async () => {
    const controller = new AbortController();
    await downloader(abortAfterWrites(store, 2, controller), {
      pieceSize: CHUNK,
      concurrency: 1,
      signal: controller.signal,
    })
      .download(hashed())
      .catch(() => undefined);
    const old = (await store.getRecord(target())) as FileRecord;
    const { pieceSize, partialChunks, ...wholeChunksOnly } = old;
    expect({ pieceSize, partialChunks }).toEqual({ pieceSize: undefined, partialChunks: [] });
    await store.putRecord({ ...wholeChunksOnly, doneChunks: [0, 1] });

    server.resetCounters();
    const record = await downloader(store, inPieces).download(hashed());
    expect(record).toMatchObject({ pieceSize: PIECE, verified: true });
    await expectStoredEqual(store, source);
    expect(server.bytesSent(PATH)).toBe(SIZE - 2 * CHUNK + PROBE_BYTES);
  });

  it('stores no pieces of a chunk that lands sooner than storePiecesAfterMs', async () => {
    const controller = new AbortController();
    const writes: string[] = [];
    const watched = wrapStore(abortAfterWrites(store, 2, controller), {
      writePiece: async (record, index, piece, bytes) => {
        writes.push(`${index}.${piece}`);
        await store.writePiece?.(record, index, piece, bytes);
      },
    });
    await downloader(watched, {
      pieceSize: PIECE,
      storePiecesAfterMs: 60_000,
      concurrency: 1,
      signal: controller.signal,
    })
      .download(hashed())
      .catch(() => undefined);
    expect(writes).toEqual([]);
    expect(await store.getRecord(target())).toMatchObject({ pieceSize: PIECE, partialChunks: [] });
  });

  it('deletes a file with its pieces', async () => {
    await cutAt('reload', 150_000);
    const record = (await store.getRecord(target())) as FileRecord;
    await store.deleteFile(target());
    expect(await store.getRecord(target())).toBeUndefined();
    await expect(store.readPiece?.(record, 2, 0)).rejects.toThrow();
  });
});

describe.each(Object.keys(storeFactories))('the first answer for a file, with the %s store', (storeName) => {
  let store: ChunkStore;
  let inner: ChunkStore;
  let writes: number;
  beforeEach(() => {
    writes = 0;
    inner = storeFactories[storeName]();
    store = wrapStore(inner, {
      writeChunk: async (record, index, bytes) => {
        writes++;
        await inner.writeChunk(record, index, bytes);
      },
    });
  });

  const onnxTarget = (extra: Partial<DownloadTarget> = {}) =>
    target({ format: 'onnx', bytes: SIZE, ...extra });

  /** Nothing of the file is in the store: no chunk written, no record, and (on disk) no file either. */
  async function expectNothingStored(): Promise<void> {
    expect(writes).toBe(0);
    expect(await store.listRecords()).toEqual([]);
    if (inner instanceof FsChunkStore) expect(readdirSync(inner.root, { recursive: true })).toEqual([]);
  }

  it("refuses a dev server's 200 text/html fallback before storing a byte, naming the URL and what came", async () => {
    const page = new TextEncoder().encode(`<!doctype html><html>${' '.repeat(7_700)}</html>`);
    server.setFile(PATH, page, 'text/html; charset=utf-8');
    server.addFault(PATH, { kind: 'ignore-range' });
    const error = await downloader(store)
      .download(onnxTarget())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({
      kind: 'not-a-model',
      code: 'download-failed',
      resumable: false,
      message:
        `${server.url(PATH)} answered 200 with text/html (7.7 kB), not an ONNX model: ` +
        "is the mirror folder (or the manifest's baseUrl) there?",
    });
    await expectNothingStored();
    expect(server.requestsFor(PATH)).toHaveLength(1);
  });

  it("refuses a file whose size differs from the manifest's before storing a byte", async () => {
    const error = await downloader(store)
      .download(onnxTarget({ bytes: SIZE + 1 }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'size-mismatch',
      resumable: false,
      message: `${server.url(PATH)} is ${SIZE} bytes on the server but ${SIZE + 1} in the manifest`,
    });
    await expectNothingStored();
  });

  it.each([
    ['answers Range requests', undefined],
    ['ignores Range', { kind: 'ignore-range' } as const],
  ])('refuses first bytes that cannot start an ONNX model from a server that %s', async (_, fault) => {
    const zip = testBytes(SIZE, 3);
    zip.set([0x50, 0x4b]); // 'PK': field 10, which ModelProto does not have
    server.setFile(PATH, zip);
    if (fault) server.addFault(PATH, fault);
    const error = await downloader(store)
      .download(onnxTarget())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'not-a-model',
      resumable: false,
      message:
        `${server.url(PATH)} answered ${fault ? 200 : 206} starting with bytes 50 4b ("PK"), ` +
        'which cannot begin an ONNX model: is it the right file?',
    });
    await expectNothingStored();
  });

  it('stores a file whose first bytes start a ModelProto, whether or not the server honours Range', async () => {
    const model = onnxTestBytes(SIZE, 8);
    server.setFile(PATH, model);
    await downloader(store).download(onnxTarget());
    server.addFault(PATH, { kind: 'ignore-range' });
    await store.deleteFile(target());
    await downloader(store).download(onnxTarget());
    await expectStoredEqual(store, model);
  });
});

describe('canStartOnnxModel', () => {
  const encode = (model: OnnxNamespace.IModelProto) => onnx.ModelProto.encode(model).finish();
  const graph = { name: 'g', node: [] };

  it('accepts what onnx-proto writes, whichever ModelProto field comes first', () => {
    // The first is laid out as the real exports are (ir_version first: 08 08 for IR 8).
    const models: OnnxNamespace.IModelProto[] = [
      { irVersion: 8, opsetImport: [{ version: 17 }], graph },
      { producerName: 'sd-turbo-web', graph },
      { modelVersion: 3 },
      { graph },
      { opsetImport: [{ version: 17 }] },
      { metadataProps: [{ key: 'a', value: 'b' }] },
      { functions: [{ name: 'f' }] },
      { trainingInfo: [{}] },
    ];
    const starts = models.map((model) => encode(model).subarray(0, ONNX_HEADER_BYTES));
    expect(starts.map((bytes) => bytes[0])).toEqual([0x08, 0x12, 0x28, 0x3a, 0x42, 0x72, 0xca, 0xa2]);
    expect(starts.every(canStartOnnxModel)).toBe(true);
  });

  it.each([
    ['HTML', '<!'],
    ['JSON', '{"'],
    ['a zip', 'PK'],
    ['a git LFS pointer', 've'],
  ])('refuses %s', (_, text) => {
    expect(canStartOnnxModel(new TextEncoder().encode(text))).toBe(false);
  });

  it('refuses a known field with the wrong wire type, an unknown field, a cut tag and nothing', () => {
    expect(canStartOnnxModel(Uint8Array.of(0x0a, 0x00))).toBe(false); // ir_version as bytes
    expect(canStartOnnxModel(Uint8Array.of(0x4a, 0x00))).toBe(false); // field 9
    expect(canStartOnnxModel(Uint8Array.of(0xca))).toBe(false);
    expect(canStartOnnxModel(new Uint8Array(0))).toBe(false);
  });
});

describe('ChunkedDownloader faults', () => {
  let store: ChunkStore;
  beforeEach(() => {
    store = storeFactories.indexeddb();
  });

  it('retries 500 with growing backoff, then succeeds', async () => {
    server.addFault(PATH, { kind: 'status', status: 500 }, { times: 2, when: (r) => r.start === CHUNK });
    await downloader(store).download(target());
    await expectStoredEqual(store, source);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(400);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
  });

  it('gives up on a server that keeps failing, naming the status and the URL', async () => {
    server.addFault(PATH, { kind: 'status', status: 503 }, { when: (r) => r.start === CHUNK });
    await expect(downloader(store).download(target())).rejects.toThrow(
      `HTTP 503 Service Unavailable for ${server.url(PATH)} (gave up after 4 attempts)`,
    );
    expect(server.requestsFor(PATH).filter((request) => request.status === 503)).toHaveLength(4);
  });

  it('waits as long as Retry-After says on 429', async () => {
    server.addFault(PATH, { kind: 'status', status: 429, retryAfter: '3' }, { times: 1 });
    await downloader(store).download(target());
    expect(sleeps).toEqual([3000]);
  });

  it('does not wait for a long Retry-After', async () => {
    server.addFault(PATH, { kind: 'status', status: 429, retryAfter: '3600' });
    await expect(downloader(store).download(target())).rejects.toThrow(
      'the server asks to retry after 3600 s',
    );
    expect(sleeps).toEqual([]);
  });

  it.each([
    [404, 'Not Found'],
    [403, 'Forbidden'],
    [410, 'Gone'],
  ])('fails at once on %i, naming the URL and where to look, and offers no resume', async (status, text) => {
    server.addFault(PATH, { kind: 'status', status });
    const error = await downloader(store)
      .download(target())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).message).toBe(
      `HTTP ${status} ${text} for ${server.url(PATH)}: the file is not on that server; ` +
        "check the mirror URL, or the manifest's baseUrl and file path",
    );
    expect(error).toMatchObject({ status, code: 'download-failed', resumable: false });
    expect(server.requestsFor(PATH)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('says "retrying (attempt k of n)" in the progress note while 503s and dropped connections retry', async () => {
    server.addFault(PATH, { kind: 'status', status: 503 }, { times: 2, when: (r) => r.start === CHUNK });
    server.addFault(
      PATH,
      { kind: 'drop', afterBytes: 100 },
      { times: 1, when: (r) => r.start === 3 * CHUNK },
    );
    const notes: (string | undefined)[] = [];
    const progress = new ProgressTracker(MODEL, {
      intervalMs: 0,
      onProgress: (report) => {
        if (report.note !== notes.at(-1)) notes.push(report.note);
      },
    });
    await downloader(store, { concurrency: 1, progress }).download(target());
    await expectStoredEqual(store, source);
    const url = server.url(PATH);
    // Each change of note, in order: two 503s on chunk 1, cleared once it came, then the dropped chunk 3.
    expect(notes).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${PATH}: HTTP 503 Service Unavailable for ${url}; retrying in [\\d.]+ s \\(attempt 2 of 4\\)$`,
        ),
      ),
      expect.stringMatching(/; retrying in [\d.]+ s \(attempt 3 of 4\)$/),
      undefined,
      expect.stringMatching(
        new RegExp(`^${PATH}: network error for ${url}: .*; retrying in [\\d.]+ s \\(attempt 2 of 4\\)$`),
      ),
      undefined,
    ]);
  });

  it('marks an error that retries could not cure as resumable', async () => {
    server.addFault(PATH, { kind: 'status', status: 503 }, { when: (r) => r.start === CHUNK });
    const error = await downloader(store)
      .download(target())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'download-failed', status: 503, resumable: true });
  });

  it('retries a response whose Content-Range does not match the request', async () => {
    server.addFault(PATH, { kind: 'wrong-content-range' }, { times: 1, when: (r) => r.start === 2 * CHUNK });
    const events: DownloadEvent[] = [];
    await downloader(store, { onEvent: (event) => events.push(event) }).download(target());
    await expectStoredEqual(store, source);
    expect(events.find((event) => event.type === 'retry')).toMatchObject({
      message: expect.stringContaining(`with Content-Range "bytes ${2 * CHUNK + 1}-`),
    });
  });

  it('retries a request that stalls', async () => {
    server.addFault(PATH, { kind: 'stall', afterBytes: 10 }, { times: 1, when: (r) => r.start === CHUNK });
    const events: DownloadEvent[] = [];
    await downloader(store, { stallTimeoutMs: 200, onEvent: (event) => events.push(event) }).download(
      target(),
    );
    await expectStoredEqual(store, source);
    expect(events.find((event) => event.type === 'retry')).toMatchObject({
      message: expect.stringContaining('no data'),
    });
  });

  it('refuses to read a file that is only partly stored', async () => {
    const controller = new AbortController();
    await downloader(abortAfterWrites(store, 1, controller), { concurrency: 1, signal: controller.signal })
      .download(target())
      .catch(() => undefined);
    await expect(readStoredFile(store, target())).rejects.toThrow(
      `${PATH} of model ${MODEL} is only partly stored; download the model first`,
    );
  });
});

describe('progress', () => {
  it('counts resumed bytes as done but not towards the rate', () => {
    let now = 0;
    const reports: DownloadProgress[] = [];
    const tracker = new ProgressTracker(MODEL, { onProgress: (p) => reports.push(p), now: () => now });
    tracker.setFile('a', 10_000, 6_000, 'downloading');
    for (let t = 1; t <= 10; t++) {
      now = t * 1000;
      tracker.addBytes('a', 100);
    }
    const last = reports.at(-1) as DownloadProgress;
    expect(last).toMatchObject({ bytesDone: 7_000, bytesTotal: 10_000, phase: 'downloading' });
    expect(last.bytesPerSecond).toBeCloseTo(100, 5);
    expect(last.etaSeconds).toBeCloseTo(30, 5);
  });

  it('holds the count still while bytes thrown away are fetched again, never going back', () => {
    const reports: DownloadProgress[] = [];
    const tracker = new ProgressTracker(MODEL, { onProgress: (p) => reports.push(p), intervalMs: 0 });
    tracker.setFile('a', 10_000, 2_000, 'downloading');
    tracker.addBytes('a', 1_500);
    tracker.dropBytes('a', 1_000);
    tracker.addBytes('a', 600);
    tracker.addBytes('a', 600);
    expect(reports.map((report) => report.bytesDone)).toEqual([3_500, 3_500, 3_700]);
    tracker.setFile('a', 10_000, 0, 'downloading');
    tracker.addBytes('a', 10);
    expect(reports.at(-1)?.bytesDone).toBe(10);
  });

  it('smooths the rate and merges samples closer than half a second', () => {
    const meter = new RateMeter(5000, 500);
    expect(meter.sample(0, 0)).toBeUndefined();
    expect(meter.sample(1000, 100)).toBeUndefined();
    expect(meter.sample(1000, 1000)).toBe(1000);
    const afterBurst = meter.sample(11_000, 2000) as number;
    expect(afterBurst).toBeGreaterThan(1000);
    expect(afterBurst).toBeLessThan(10_000);
  });
});

describe('model-level API', () => {
  const paths: Record<StageName, string> = {
    textEncoder: 'text_encoder/model.onnx',
    unet: 'unet/model.onnx',
    vaeDecoder: 'vae_decoder/model.onnx',
  };
  const sizes: Record<StageName, number> = { textEncoder: 2 * CHUNK + 17, unet: SIZE, vaeDecoder: CHUNK - 3 };
  const sources = {} as Record<StageName, Uint8Array>;
  let store: IdbChunkStore;
  let locks: InProcessLockManager;

  function model(files: Partial<Record<StageName, Partial<ModelFile>>> = {}): ModelEntry {
    const file = (stage: StageName): ModelFile => ({
      path: paths[stage],
      bytes: sizes[stage],
      sha256: hex(sources[stage]),
      ...files[stage],
    });
    return downloadTestModel(MODEL, server.baseUrl, {
      textEncoder: file('textEncoder'),
      unet: file('unet'),
      vaeDecoder: file('vaeDecoder'),
    });
  }

  const options = () => ({
    manifestUrl: server.url('model-manifest.json'),
    store,
    locks,
    chunkSize: CHUNK,
    storage: null,
    retry: { sleep: async () => undefined },
  });

  beforeEach(() => {
    store = storeFactories.indexeddb() as IdbChunkStore;
    locks = new InProcessLockManager();
    for (const [index, stage] of (['textEncoder', 'unet', 'vaeDecoder'] as const).entries()) {
      sources[stage] = onnxTestBytes(sizes[stage], 100 + index);
      server.setFile(paths[stage], sources[stage]);
    }
    server.resetCounters();
  });

  const totalSize = () => Object.values(sizes).reduce((a, b) => a + b, 0);
  const totalSent = () => Object.values(paths).reduce((sum, path) => sum + server.bytesSent(path), 0);

  it('downloads every file of a model with progress, then loads them', async () => {
    const reports: DownloadProgress[] = [];
    const records = await downloadModel(model(), { ...options(), onProgress: (p) => reports.push(p) });
    expect(Object.values(records).every((record: FileRecord) => record.verified)).toBe(true);
    const files = await loadModelFiles(model(), store);
    for (const stage of Object.keys(paths) as StageName[]) {
      expect(Buffer.from(files[stage]).equals(Buffer.from(sources[stage]))).toBe(true);
    }
    const done = reports.map((report) => report.bytesDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(reports.at(-1)).toMatchObject({ phase: 'done', bytesDone: totalSize(), bytesTotal: totalSize() });
    expect(reports.at(-1)?.files.map((file) => file.state)).toEqual(['done', 'done', 'done']);
  });

  it('touches no network once the model is stored', async () => {
    await downloadModel(model(), options());
    server.resetCounters();
    await downloadModel(model(), options());
    expect(server.requests).toEqual([]);
  });

  it('refuses to start when the storage quota is too small, stating both sizes', async () => {
    const storage: StorageManagerLike = { estimate: async () => ({ usage: 500_000, quota: 1_000_000 }) };
    const error = await downloadModel(model(), { ...options(), storage }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaError);
    expect(error).toMatchObject({
      code: 'quota',
      message: `Not enough storage for model ${MODEL}: 1.8 MB still needed, 500.0 kB available`,
      neededBytes: totalSize(),
      availableBytes: 500_000,
    });
    expect(server.requests).toEqual([]);
  });

  it('uses approxBytes for the quota check and asks for persistence', async () => {
    let persistCalls = 0;
    const storage: StorageManagerLike = {
      estimate: async () => ({ usage: 0, quota: 10e9 }),
      persisted: async () => false,
      persist: async () => ++persistCalls > 0,
    };
    const events: DownloadEvent[] = [];
    const approx = model({ unet: { bytes: undefined, approxBytes: 5e9 } });
    await downloadModel(approx, { ...options(), storage, onEvent: (event) => events.push(event) });
    expect(persistCalls).toBe(1);
    expect(events).toContainEqual({ type: 'storage-persisted', persisted: true });
    await expect(
      downloadModel(model({ unet: { bytes: undefined, approxBytes: 20e9, sha256: undefined } }), {
        ...options(),
        storage,
      }),
    ).rejects.toThrow('20.00 GB still needed, 10.00 GB available');
  });

  it('runs one download per model: a second caller waits, follows progress, then finds the files', async () => {
    const firstEvents: DownloadEvent[] = [];
    const secondEvents: DownloadEvent[] = [];
    const secondReports: DownloadProgress[] = [];
    const first = downloadModel(model(), { ...options(), onEvent: (event) => firstEvents.push(event) });
    const second = downloadModel(model(), {
      ...options(),
      onEvent: (event) => secondEvents.push(event),
      onProgress: (p) => secondReports.push(p),
    });
    await Promise.all([first, second]);
    expect(secondEvents[0]).toEqual({ type: 'waiting-for-other-download', modelId: MODEL });
    expect(secondEvents.filter((event) => event.type === 'file-done')).toMatchObject([
      { fromStore: true },
      { fromStore: true },
      { fromStore: true },
    ]);
    // Progress of the first caller's download, relayed over the BroadcastChannel while the second waited.
    expect(
      secondReports.some((report) => report.phase === 'downloading' && report.bytesDone < report.bytesTotal),
    ).toBe(true);
    expect(totalSent()).toBe(totalSize() + 3 * PROBE_BYTES);
  });

  it('lists, verifies and deletes stored models', async () => {
    await downloadModel(model(), options());
    const [listed] = await listStoredModels(store);
    expect(listed).toMatchObject({
      modelId: MODEL,
      bytesStored: totalSize(),
      bytesTotal: totalSize(),
      complete: true,
    });
    expect((await verifyStoredModel(store, MODEL, { locks })).map((file) => file.status)).toEqual([
      'ok',
      'ok',
      'ok',
    ]);

    const unet = (await store.getRecord({ modelId: MODEL, path: paths.unet })) as FileRecord;
    await store.writeChunk(unet, 1, new Uint8Array(CHUNK));
    const results = await verifyStoredModel(store, MODEL, { locks });
    expect(results.find((file) => file.path === paths.unet)).toMatchObject({
      status: 'mismatch',
      expectedSha256: hex(sources.unet),
    });
    expect(await store.getRecord(unet)).toBeUndefined();

    await deleteStoredModel(store, MODEL, { locks });
    expect(await listStoredModels(store)).toEqual([]);
  });
});

describe('InProcessLockManager', () => {
  it('grants in order, answers ifAvailable with null while held, and lets a waiter give up', async () => {
    const locks = new InProcessLockManager();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = locks.request('m', {}, () => new Promise<void>((resolve) => (releaseFirst = resolve)));
    expect(await locks.request('m', { ifAvailable: true }, async (lock) => lock)).toBeNull();
    const controller = new AbortController();
    const quitter = locks.request('m', { signal: controller.signal }, async () => order.push('quitter'));
    const third = locks.request('m', {}, async () => order.push('third'));
    controller.abort();
    await expect(quitter).rejects.toMatchObject({ name: 'AbortError' });
    releaseFirst();
    await Promise.all([first, third]);
    expect(order).toEqual(['third']);
  });
});
