import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  chunkCount,
  chunkRange,
  type ChunkStore,
  type FileRecord,
  type StoredFileId,
} from '../src/pipeline/storage/chunk-store.js';
import {
  readStoredFile,
  readStoredFileVerifyingBeside,
  streamStoredFile,
  streamStoredFileVerifyingBeside,
} from '../src/pipeline/storage/stored-files.js';
import { testBytes } from './support/range-server.js';

const CHUNK = 1000;
/** Eight chunks, the last one short: more than the hash may hold at once while a file loads. */
const SIZE = 7 * CHUNK + 123;
const source = testBytes(SIZE, 5);
const id: StoredFileId = { modelId: 'm', path: 'unet/model.onnx' };

/** An in-memory store holding `source` as one complete file whose digest was verified at download. */
function storedFile(): ChunkStore & { records: Map<string, FileRecord>; chunks: Map<string, Uint8Array> } {
  const records = new Map<string, FileRecord>();
  const chunks = new Map<string, Uint8Array>();
  const key = (file: StoredFileId) => `${file.modelId}/${file.path}`;
  const record: FileRecord = {
    ...id,
    url: 'http://127.0.0.1/unet/model.onnx',
    size: SIZE,
    chunkSize: CHUNK,
    sha256: createHash('sha256').update(source).digest('hex'),
    doneChunks: Array.from({ length: chunkCount({ size: SIZE, chunkSize: CHUNK }) }, (_, index) => index),
    verified: true,
    updatedAt: 1,
  };
  records.set(key(record), record);
  for (const index of record.doneChunks) {
    const { start, end } = chunkRange(record, index);
    chunks.set(`${key(record)}#${index}`, source.slice(start, end));
  }
  return {
    records,
    chunks,
    getRecord: async (file) => structuredClone(records.get(key(file))),
    putRecord: async (file) => void records.set(key(file), structuredClone(file)),
    listRecords: async () => [...records.values()],
    writeChunk: async (file, index, bytes) => void chunks.set(`${key(file)}#${index}`, bytes.slice()),
    // A copy, as IndexedDB gives: the hasher may take the buffer over.
    readChunk: async (file, index) => chunks.get(`${key(file)}#${index}`)!.slice(),
    deleteFile: async (file) => void records.delete(key(file)),
  };
}

describe('readStoredFileVerifyingBeside: a warm start reads first and checks the digest beside', () => {
  it('gives the stored bytes, then confirms their digest, leaving the record as it was', async () => {
    const store = storedFile();
    const read = await readStoredFileVerifyingBeside(store, id);
    expect(read.bytes).toEqual(source);
    await expect(read.verified).resolves.toBeUndefined();
    expect((await store.getRecord(id))?.corruptSha256).toBeUndefined();
  });

  it('gives changed bytes at once, then rejects them as corrupt and marks the file so later loads refuse it', async () => {
    const store = storedFile();
    const chunkKey = `${id.modelId}/${id.path}#5`;
    store.chunks.get(chunkKey)![17] ^= 1;
    const changed = source.slice();
    changed[5 * CHUNK + 17] ^= 1;
    const actual = createHash('sha256').update(changed).digest('hex');

    const read = await readStoredFileVerifyingBeside(store, id);
    expect(read.bytes).toEqual(changed);
    const failure = await read.verified.then(
      () => undefined,
      (error: unknown) => error as Error & { code?: string },
    );
    expect(failure?.code).toBe('corrupt');
    expect(failure?.message).toContain(
      `unet/model.onnx of model m is corrupt in storage: its SHA-256 is ${actual}`,
    );
    expect((await store.getRecord(id))?.corruptSha256).toBe(actual);

    // The mark is in the store: both ways of loading refuse the file before reading a chunk of it.
    store.chunks.clear();
    await expect(readStoredFileVerifyingBeside(store, id)).rejects.toMatchObject({
      code: 'corrupt',
      message: expect.stringContaining('Delete it and download it again.'),
    });
    await expect(readStoredFile(store, id)).rejects.toMatchObject({ code: 'corrupt' });
  });

  it('hashes nothing until the model is ready, then reads the file back for its digest', async () => {
    const store = storedFile();
    let reads = 0;
    const readChunk = store.readChunk;
    store.readChunk = (file, index) => {
      reads++;
      return readChunk(file, index);
    };
    let ready!: () => void;
    const read = await readStoredFileVerifyingBeside(store, id, new Promise((resolve) => (ready = resolve)));
    expect(read.bytes).toEqual(source);
    const settled = read.verified.then(() => 'verified');
    const waited = await Promise.race([
      settled,
      new Promise((resolve) => setTimeout(resolve, 50, 'waiting')),
    ]);
    // Each chunk read once, and nothing hashed: the digest waits for the model to be ready.
    expect({ reads, waited }).toEqual({ reads: 8, waited: 'waiting' });
    ready();
    await expect(settled).resolves.toBe('verified');
    // Then every chunk is read back for the hash.
    expect(reads).toBe(16);
  });

  it('marks nothing when the file was stored anew while its old bytes were hashed', async () => {
    const store = storedFile();
    store.chunks.get(`${id.modelId}/${id.path}#0`)![0] ^= 1;
    const read = await readStoredFileVerifyingBeside(store, id);
    // Deleted and downloaded again: a new record, with a later updatedAt.
    await store.putRecord({ ...(await store.getRecord(id))!, updatedAt: 2 });
    await expect(read.verified).rejects.toMatchObject({ code: 'corrupt' });
    expect((await store.getRecord(id))?.corruptSha256).toBeUndefined();
  });

  it('refuses a file that is only partly stored, as readStoredFile does', async () => {
    const store = storedFile();
    await store.putRecord({ ...(await store.getRecord(id))!, doneChunks: [0, 1] });
    await expect(readStoredFileVerifyingBeside(store, id)).rejects.toMatchObject({
      code: 'download-failed',
      message: 'unet/model.onnx of model m is only partly stored; download the model first',
    });
  });
});

/** Flips one bit of chunk `index` in the store; gives the file as it now reads and its SHA-256. */
function flipStoredBit(store: ReturnType<typeof storedFile>, index: number, at: number) {
  store.chunks.get(`${id.modelId}/${id.path}#${index}`)![at] ^= 1;
  const changed = source.slice();
  changed[index * CHUNK + at] ^= 1;
  return { changed, actual: createHash('sha256').update(changed).digest('hex') };
}

function countReads(store: ChunkStore): () => number {
  let reads = 0;
  const readChunk = store.readChunk;
  store.readChunk = (file, index) => {
    reads++;
    return readChunk(file, index);
  };
  return () => reads;
}

/** The stream read to its end (or `stopAfter` chunks), each chunk copied, and the check it handed over. */
async function readStream(
  store: ChunkStore,
  readBackAfter: Promise<void>,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<{ bytes: Uint8Array; verified: Promise<void> }> {
  let verified: Promise<void> | undefined;
  const chunks: Uint8Array[] = [];
  for await (const chunk of streamStoredFileVerifyingBeside(store, id, readBackAfter, (check) => {
    verified = check;
  })) {
    chunks.push(chunk.slice());
    if (chunks.length >= stopAfter) break;
  }
  return { bytes: new Uint8Array(Buffer.concat(chunks)), verified: verified! };
}

describe('streamStoredFileVerifyingBeside: a widened stage streams on a warm start, checked after ready', () => {
  it('streams the stored bytes with no hash, then reads them back for the digest once ready', async () => {
    const store = storedFile();
    const reads = countReads(store);
    let ready!: () => void;
    const { bytes, verified } = await readStream(store, new Promise((resolve) => (ready = resolve)));
    expect(bytes).toEqual(source);
    const settled = verified.then(() => 'verified');
    const waited = await Promise.race([
      settled,
      new Promise((resolve) => setTimeout(resolve, 50, 'waiting')),
    ]);
    expect({ reads: reads(), waited }).toEqual({ reads: 8, waited: 'waiting' });
    ready();
    await expect(settled).resolves.toBe('verified');
    expect(reads()).toBe(16);
    expect((await store.getRecord(id))?.corruptSha256).toBeUndefined();
  });

  it("rejects changed bytes once ready with the warm start's corrupt error and mark; later loads refuse", async () => {
    const store = storedFile();
    const { changed, actual } = flipStoredBit(store, 5, 17);
    const { bytes, verified } = await readStream(store, Promise.resolve());
    expect(bytes).toEqual(changed);
    await expect(verified).rejects.toMatchObject({
      code: 'corrupt',
      message:
        `unet/model.onnx of model m is corrupt in storage: its SHA-256 is ${actual}, ` +
        `not the ${createHash('sha256').update(source).digest('hex')} the manifest gives. ` +
        'Delete it and download it again.',
    });
    expect((await store.getRecord(id))?.corruptSha256).toBe(actual);

    // Refused before a chunk is read, by every way of loading.
    store.chunks.clear();
    await expect(readStream(store, Promise.resolve())).rejects.toMatchObject({ code: 'corrupt' });
    await expect(streamStoredFile(store, id).next()).rejects.toMatchObject({ code: 'corrupt' });
    await expect(readStoredFileVerifyingBeside(store, id)).rejects.toMatchObject({ code: 'corrupt' });
  });

  it('checks the whole file when its reader stops early, so that corrupt bytes are named as such', async () => {
    const store = storedFile();
    const { actual } = flipStoredBit(store, 6, 3);
    const { bytes, verified } = await readStream(store, Promise.resolve(), 2);
    expect(bytes).toEqual(source.subarray(0, 2 * CHUNK));
    await expect(verified).rejects.toMatchObject({ code: 'corrupt' });
    expect((await store.getRecord(id))?.corruptSha256).toBe(actual);
  });

  it("hands over the read's own error, not a digest, when a chunk cannot be read", async () => {
    const store = storedFile();
    store.chunks.set(`${id.modelId}/${id.path}#3`, new Uint8Array(10));
    let verified: Promise<void> | undefined;
    const read = async () => {
      for await (const chunk of streamStoredFileVerifyingBeside(store, id, Promise.resolve(), (check) => {
        verified = check;
      }))
        void chunk;
    };
    await expect(read()).rejects.toMatchObject({ message: expect.stringContaining('chunk 3 of') });
    await expect(verified).rejects.toMatchObject({ code: 'download-failed' });
    expect((await store.getRecord(id))?.corruptSha256).toBeUndefined();
  });
});

describe('streamStoredFile: a stream checked by its end', () => {
  it('marks changed bytes corrupt in the store as it rejects them', async () => {
    const store = storedFile();
    const { actual } = flipStoredBit(store, 1, 5);
    const readAll = async () => {
      for await (const chunk of streamStoredFile(store, id)) void chunk;
    };
    await expect(readAll()).rejects.toMatchObject({ code: 'corrupt' });
    expect((await store.getRecord(id))?.corruptSha256).toBe(actual);
  });
});
