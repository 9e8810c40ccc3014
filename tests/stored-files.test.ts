import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  chunkCount,
  chunkRange,
  type ChunkStore,
  type FileRecord,
  type StoredFileId,
} from '../src/pipeline/storage/chunk-store.js';
import { readStoredFile, readStoredFileVerifyingBeside } from '../src/pipeline/storage/stored-files.js';
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
