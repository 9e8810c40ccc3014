import { createSHA256, type IHasher } from 'hash-wasm';
import { chunkCount, type ChunkStore, type FileRecord } from './chunk-store.js';
import { abortError } from './errors.js';

/**
 * SHA-256 of a stored file, computed in file order while chunks arrive in any order. A chunk that arrives
 * when it is next is hashed from the bytes in hand; chunks that arrived early are read back from the store
 * when their turn comes. So the hash is mostly done when the last chunk lands, and no more than one chunk
 * is held at a time.
 */
export class InOrderFileHasher {
  /** WebAssembly SHA-256: several times the speed of plain JavaScript, which capped download throughput. */
  private hash?: Promise<IHasher>;
  private next = 0;
  private work: Promise<void> = Promise.resolve();
  /** Bytes of chunks whose advance() is still queued: no need to read them back if their turn comes. */
  private readonly inHand = new Map<number, Uint8Array>();

  constructor(
    private readonly store: ChunkStore,
    private readonly record: FileRecord,
    private readonly isStored: (index: number) => boolean,
    private readonly signal?: AbortSignal,
  ) {}

  /** Hashes as far as stored chunks allow; `bytes` are chunk `index`'s, just stored. Calls run one at a time. */
  advance(index?: number, bytes?: Uint8Array): Promise<void> {
    if (index !== undefined && bytes) this.inHand.set(index, bytes);
    this.work = this.work.then(async () => {
      try {
        await this.hashStoredPrefix();
      } finally {
        // Held only until this call's turn: a chunk far ahead of the hash is read back later instead.
        if (index !== undefined) this.inHand.delete(index);
      }
    });
    return this.work;
  }

  private hasher(): Promise<IHasher> {
    this.hash ??= createSHA256().then((hasher) => hasher.init());
    return this.hash;
  }

  private async hashStoredPrefix(): Promise<void> {
    const hash = await this.hasher();
    const count = chunkCount(this.record);
    while (this.next < count && this.isStored(this.next)) {
      if (this.signal?.aborted) throw abortError(`Verification of ${this.record.path} was cancelled.`);
      hash.update(this.inHand.get(this.next) ?? (await this.store.readChunk(this.record, this.next)));
      this.next++;
    }
  }

  /** Lower-case hex digest; every chunk must be stored by now. */
  async digest(): Promise<string> {
    await this.advance();
    if (this.next < chunkCount(this.record))
      throw new Error(`chunk ${this.next} of ${this.record.path} is missing`);
    return (await this.hasher()).digest('hex');
  }
}

/** SHA-256 of a complete stored file, read chunk by chunk. */
export function hashStoredFile(store: ChunkStore, record: FileRecord, signal?: AbortSignal): Promise<string> {
  return new InOrderFileHasher(store, record, () => true, signal).digest();
}
