import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkRange, type ChunkStore, type FileRecord } from '../src/pipeline/storage/chunk-store.js';
import { hashStoredFile, InOrderFileHasher } from '../src/pipeline/storage/file-hasher.js';
import { openRange } from '../src/pipeline/storage/download/http.js';
import { InThreadSha256, type Sha256Stream } from '../src/pipeline/storage/sha256.js';
import { testBytes } from './support/range-server.js';

const CHUNK = 1000;
/** Six chunks, the last one short. */
const SIZE = 5 * CHUNK + 321;
const source = testBytes(SIZE, 3);
const expectedHex = createHash('sha256').update(source).digest('hex');

const record: FileRecord = {
  modelId: 'm',
  path: 'f.onnx',
  url: 'http://127.0.0.1/f.onnx',
  size: SIZE,
  chunkSize: CHUNK,
  sha256: expectedHex,
  doneChunks: [],
  verified: false,
  updatedAt: 0,
};

function chunk(index: number): Uint8Array {
  const { start, end } = chunkRange(record, index);
  return source.slice(start, end);
}

/** A store holding every chunk of `source`, counting read-backs. */
function storeWithEveryChunk(): ChunkStore & { reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    getRecord: async () => record,
    putRecord: async () => undefined,
    listRecords: async () => [record],
    writeChunk: async () => undefined,
    readChunk: async (_record, index) => {
      reads.push(index);
      return chunk(index);
    },
    deleteFile: async () => undefined,
  };
}

/** hash-wasm on this thread, each update held until `finishOne()`: hashing as slow as a test wants. */
class GatedSha256 implements Sha256Stream {
  readonly thread = 'caller';
  readonly updates: number[] = [];
  private readonly gates: (() => void)[] = [];
  failNext: Error | undefined;

  private constructor(private readonly inner: InThreadSha256) {}

  static async create(): Promise<GatedSha256> {
    return new GatedSha256(await InThreadSha256.create());
  }

  async update(bytes: Uint8Array): Promise<void> {
    this.updates.push(bytes.byteLength);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    if (this.failNext) throw this.failNext;
    await this.inner.update(bytes);
  }

  finishOne(): void {
    this.gates.shift()?.();
  }

  get waiting(): number {
    return this.gates.length;
  }

  digest(): Promise<string> {
    return this.inner.digest();
  }

  close(): void {}
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('InOrderFileHasher', () => {
  it('hashes chunks accepted out of order in file order, from the bytes in hand', async () => {
    const store = storeWithEveryChunk();
    const stored = new Set<number>();
    const hasher = new InOrderFileHasher(store, record, (index) => stored.has(index));
    for (const index of [3, 1, 0, 5, 2, 4]) {
      await hasher.reserve();
      stored.add(index);
      hasher.accept(index, chunk(index));
    }
    expect(await hasher.digest()).toBe(expectedHex);
    expect(store.reads).toEqual([]);
  });

  it('reads back the chunks stored before (a resumed download) when their turn comes', async () => {
    const store = storeWithEveryChunk();
    const stored = new Set([0, 1, 4]);
    const hasher = new InOrderFileHasher(store, record, (index) => stored.has(index));
    for (const index of [2, 5, 3]) {
      await hasher.reserve();
      stored.add(index);
      hasher.accept(index, chunk(index));
    }
    expect(await hasher.digest()).toBe(expectedHex);
    expect(store.reads).toEqual([0, 1, 4]);
  });

  it('holds at most maxChunksInMemory chunks between reserve and their hash', async () => {
    const stream = await GatedSha256.create();
    const hasher = new InOrderFileHasher(storeWithEveryChunk(), record, () => false, {
      maxChunksInMemory: 2,
      createStream: async () => stream,
    });
    await hasher.reserve();
    await hasher.reserve();
    let third = false;
    const thirdReserved = hasher.reserve().then(() => (third = true));
    hasher.accept(1, chunk(1));
    hasher.accept(0, chunk(0));
    await settle();
    // Both chunks are with the stream, neither is hashed: no room yet.
    expect(stream.updates).toEqual([CHUNK, CHUNK]);
    expect(third).toBe(false);
    stream.finishOne();
    await thirdReserved;
    expect(third).toBe(true);
  });

  it('gives a reservation back when its chunk never comes, or comes after its turn', async () => {
    const hasher = new InOrderFileHasher(storeWithEveryChunk(), record, () => false, {
      maxChunksInMemory: 1,
    });
    await hasher.reserve();
    hasher.release();
    await hasher.reserve();
    hasher.accept(0, chunk(0));
    await settle();
    await hasher.reserve();
    hasher.accept(0, chunk(0));
    await hasher.reserve();
    hasher.release();
  });

  it('fails reserve and digest with the stream’s error', async () => {
    const stream = await GatedSha256.create();
    const hasher = new InOrderFileHasher(storeWithEveryChunk(), record, () => false, {
      maxChunksInMemory: 1,
      createStream: async () => stream,
    });
    await hasher.reserve();
    hasher.accept(0, chunk(0));
    const waiting = hasher.reserve();
    await settle();
    stream.failNext = new Error('hash worker crashed');
    stream.finishOne();
    await expect(waiting).rejects.toThrow('hash worker crashed');
    await expect(hasher.digest()).rejects.toThrow('hash worker crashed');
  });

  it('names the first missing chunk when asked for a digest too early', async () => {
    const stored = new Set([0, 1, 3]);
    const hasher = new InOrderFileHasher(storeWithEveryChunk(), record, (index) => stored.has(index));
    await expect(hasher.digest()).rejects.toThrow('chunk 2 of f.onnx is missing');
  });

  it('hashes a whole stored file, two read-backs waiting at most', async () => {
    const stream = await GatedSha256.create();
    const store = storeWithEveryChunk();
    const hashing = new InOrderFileHasher(store, record, () => true, { createStream: async () => stream });
    const digest = hashing.digest();
    await settle();
    expect(store.reads).toEqual([0, 1]);
    while (stream.updates.length < 6 || stream.waiting > 0) {
      stream.finishOne();
      await settle();
    }
    expect(await digest).toBe(expectedHex);
    expect(await hashStoredFile(storeWithEveryChunk(), record)).toBe(expectedHex);
  });
});

/** A response whose body comes in the given pieces, as a byte stream (BYOB) or a plain stream. */
function respond(pieces: Uint8Array[], type: 'bytes' | undefined, total: number): Response {
  let next = 0;
  // One source for both kinds: a plain stream's controller has no byobRequest, so the last line is a no-op.
  const source: UnderlyingByteSource = {
    type: 'bytes',
    pull(controller) {
      if (next < pieces.length) {
        controller.enqueue(pieces[next++].slice());
        return;
      }
      controller.close();
      // A byte stream closed under a pending BYOB read must answer it, as network bodies do.
      controller.byobRequest?.respond(0);
    },
  };
  const body =
    type === 'bytes'
      ? new ReadableStream(source)
      : new ReadableStream<Uint8Array>({ ...source, type } as unknown as UnderlyingDefaultSource<Uint8Array>);
  const length = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
  return new Response(body, {
    status: 206,
    headers: { 'Content-Range': `bytes 0-${length - 1}/${total}`, 'Content-Length': String(length) },
  });
}

describe.each([
  ['a byte stream (read into the buffer, BYOB)', 'bytes' as const],
  ['a plain stream (pieces copied)', undefined],
])('response body as %s', (_name, type) => {
  const pieces = [source.subarray(0, 7), source.subarray(7, 2500), source.subarray(2500, 2501)];
  const fetchPieces = (parts: Uint8Array[]) => async () => respond(parts, type, SIZE);

  it('reads exact lengths across piece boundaries, skips, and finds the end', async () => {
    const opened = await openRange('http://x/f', 0, 2501, {
      fetch: fetchPieces(pieces),
      stallTimeoutMs: 5000,
    });
    const seen: number[] = [];
    const first = await opened.body.readExactly(1000, (n) => seen.push(n));
    await opened.body.skip(1000);
    const rest = await opened.body.readExactly(501);
    await opened.body.expectEnd();
    expect(Buffer.from(first).equals(Buffer.from(source.subarray(0, 1000)))).toBe(true);
    expect(Buffer.from(rest).equals(Buffer.from(source.subarray(2000, 2501)))).toBe(true);
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(1000);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(1000);
    opened.body.close();
  });

  it('says the connection closed when the body is short, and that it is too long when it is', async () => {
    const short = await openRange('http://x/f', 0, 2501, {
      fetch: async () => {
        const response = respond(pieces.slice(0, 2), type, SIZE);
        return new Response(response.body, {
          status: 206,
          headers: { 'Content-Range': `bytes 0-2500/${SIZE}`, 'Content-Length': '2501' },
        });
      },
      stallTimeoutMs: 5000,
    });
    await expect(short.body.readExactly(2501)).rejects.toThrow('the connection closed before the range');
    const long = await openRange('http://x/f', 0, 2500, {
      fetch: async () => {
        const response = respond(pieces, type, SIZE);
        return new Response(response.body, {
          status: 206,
          headers: { 'Content-Range': `bytes 0-2499/${SIZE}`, 'Content-Length': '2500' },
        });
      },
      stallTimeoutMs: 5000,
    });
    await long.body.readExactly(2500);
    await expect(long.body.expectEnd()).rejects.toThrow('sent more bytes than the range asked for');
  });
});
