import 'fake-indexeddb/auto';
import { createStore, get } from 'idb-keyval';
import { afterEach, describe, expect, it } from 'vitest';
import { IdbChunkStore } from '../src/pipeline/storage/idb-chunk-store.js';
import type { FileRecord } from '../src/pipeline/storage/chunk-store.js';
import { testBytes } from './support/range-server.js';

const record: FileRecord = {
  modelId: 'm',
  path: 'unet/model.onnx',
  url: 'https://example.test/unet/model.onnx',
  size: 3000,
  chunkSize: 1000,
  doneChunks: [],
  verified: false,
  updatedAt: 0,
};
let stores = 0;
const newStore = () => new IdbChunkStore({ chunksDb: `c${++stores}`, recordsDb: `r${stores}` });
const originalPut = IDBObjectStore.prototype.put;

/** The browser refuses Blob values with `error` (WebKit in an ephemeral session refuses them all). */
function refuseBlobs(error: DOMException): void {
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    if (value instanceof Blob) throw error;
    return originalPut.call(this, value, key);
  };
}

afterEach(() => {
  IDBObjectStore.prototype.put = originalPut;
});

describe('IdbChunkStore', () => {
  it('stores chunks and pieces as Blobs and reads back the same bytes, from a view into a larger buffer too', async () => {
    const store = newStore();
    const bytes = testBytes(1000, 1);
    const padded = new Uint8Array(1200);
    padded.set(bytes, 100);
    await store.writeChunk(record, 0, padded.subarray(100, 1100));
    await store.writePiece(record, 1, 0, bytes.subarray(0, 400));
    const stored = await get(['m', 'unet/model.onnx', 0], createStore(`c${stores}`, 'chunks'));
    expect(stored).toBeInstanceOf(Blob);
    expect(await store.readChunk(record, 0)).toEqual(bytes);
    expect(await store.readPiece(record, 1, 0)).toEqual(bytes.subarray(0, 400));
  });

  it('reads a chunk stored as a Uint8Array by an earlier version', async () => {
    refuseBlobs(
      new DOMException('Error preparing Blob/File data to be stored in object store', 'UnknownError'),
    );
    const store = newStore();
    const bytes = testBytes(1000, 2);
    await store.writeChunk(record, 2, bytes);
    IDBObjectStore.prototype.put = originalPut;
    expect(await store.readChunk(record, 2)).toEqual(bytes);
  });

  it('stores the bytes themselves where the browser refuses Blob values, and keeps doing so', async () => {
    refuseBlobs(
      new DOMException('Error preparing Blob/File data to be stored in object store', 'UnknownError'),
    );
    const store = newStore();
    const chunk = testBytes(1000, 3);
    await store.writeChunk(record, 0, chunk);
    await store.writePiece(record, 1, 0, chunk.subarray(0, 500));
    expect(await store.readChunk(record, 0)).toEqual(chunk);
    expect(await store.readPiece(record, 1, 0)).toEqual(chunk.subarray(0, 500));
  });

  it('passes a full quota on as it is, without storing anything', async () => {
    refuseBlobs(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
    const store = newStore();
    await expect(store.writeChunk(record, 0, testBytes(1000, 4))).rejects.toMatchObject({
      name: 'QuotaExceededError',
    });
    await expect(store.readChunk(record, 0)).rejects.toThrow(
      'chunk 0 of unet/model.onnx is missing from IndexedDB',
    );
  });
});
