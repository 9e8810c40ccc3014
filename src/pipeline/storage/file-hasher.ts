import { chunkCount, type ChunkStore, type FileRecord } from './chunk-store.js';
import { abortError } from './errors.js';
import { createSha256Stream, type Sha256Stream } from './sha256.js';

export interface InOrderFileHasherOptions {
  signal?: AbortSignal;
  /**
   * Chunks of this download in memory at once, from the start of their fetch (`reserve`) until they are
   * hashed (default 6). Bounds memory whatever the file's size, and paces the download to the hash when
   * hashing is the slower side.
   */
  maxChunksInMemory?: number;
  /** Defaults to createSha256Stream (a hashing Worker where there are Workers). */
  createStream?: () => Promise<Sha256Stream>;
}

/** Chunks read back from the store that may wait in the hash stream at once. */
const MAX_READ_BACK_QUEUED = 2;

/**
 * SHA-256 of a stored file, computed in file order while chunks arrive in any order. Chunks are hashed
 * from the bytes in hand as they are stored (a chunk that arrives early waits in memory for its turn);
 * chunks stored by an earlier session are read back from the store when their turn comes. So the hash
 * is mostly done when the last chunk lands.
 */
export class InOrderFileHasher {
  private stream?: Promise<Sha256Stream>;
  /** The next chunk to hand to the stream. */
  private next = 0;
  /** Stored chunks in hand that are not the stream's yet. */
  private readonly held = new Map<number, Uint8Array>();
  /** Chunks reserved and not yet hashed (or released). */
  private inMemory = 0;
  /** Read-back chunks handed to the stream and not hashed yet. */
  private readBackQueued = 0;
  /** The last update handed to the stream: updates finish in order, so the digest waits for this one. */
  private lastUpdate: Promise<void> = Promise.resolve();
  private waiters: (() => void)[] = [];
  /** Hand-over passes run one after another. */
  private handOver: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly maxChunksInMemory: number;

  constructor(
    private readonly store: ChunkStore,
    private readonly record: FileRecord,
    private readonly isStored: (index: number) => boolean,
    private readonly options: InOrderFileHasherOptions = {},
  ) {
    this.maxChunksInMemory = Math.max(1, options.maxChunksInMemory ?? 6);
  }

  /**
   * Waits until one more chunk may be in memory; call before fetching a chunk. The reservation ends when
   * that chunk is hashed after `accept`, or with `release` if it never gets there.
   */
  async reserve(): Promise<void> {
    while (this.failure === undefined && this.inMemory >= this.maxChunksInMemory) await this.wakeUp();
    this.throwIfFailed();
    // No await between the check and the count: waiters woken together cannot all take the last place.
    this.inMemory++;
  }

  /**
   * Takes a place for one more chunk if one is free, without waiting: a reader that must not be held back
   * by the hash skips the hand-over when it is full, and the hasher reads that chunk back in its turn.
   */
  tryReserve(): boolean {
    if (this.failure !== undefined || this.inMemory >= this.maxChunksInMemory) return false;
    this.inMemory++;
    return true;
  }

  /** Ends a reservation whose chunk will not be accepted (its fetch failed). */
  release(): void {
    this.inMemory--;
    this.wake();
  }

  /**
   * Takes chunk `index`, reserved and just stored, and hashes what is now in order. The bytes may be
   * transferred to the hashing Worker: the caller must not use them afterwards.
   */
  accept(index: number, bytes: Uint8Array): void {
    if (index < this.next) {
      this.release();
      return;
    }
    this.held.set(index, bytes);
    void this.drain();
  }

  /** Lower-case hex digest; every chunk must be stored by now. */
  async digest(): Promise<string> {
    await this.drain();
    this.throwIfFailed();
    if (this.next < chunkCount(this.record))
      throw new Error(`chunk ${this.next} of ${this.record.path} is missing`);
    await this.lastUpdate;
    this.throwIfFailed();
    const stream = await this.openStream();
    this.stream = undefined;
    const hex = await stream.digest();
    this.throwIfFailed();
    return hex;
  }

  /** Stops hashing (a failed or cancelled download): frees the held chunks and the hashing Worker. */
  close(): void {
    this.held.clear();
    this.fail(abortError(`Verification of ${this.record.path} was stopped.`));
    void this.stream?.then((stream) => stream.close()).catch(() => undefined);
    this.stream = undefined;
  }

  /** Hands every chunk that is stored and next in order to the stream, after any pass still running. */
  private drain(): Promise<void> {
    this.handOver = this.handOver
      .then(() => this.handOverInOrder())
      .catch((error: unknown) => this.fail(error));
    return this.handOver;
  }

  private async handOverInOrder(): Promise<void> {
    const count = chunkCount(this.record);
    // A chunk in hand was stored before it was accepted, even if the caller has not recorded it yet.
    while (
      this.failure === undefined &&
      this.next < count &&
      (this.held.has(this.next) || this.isStored(this.next))
    ) {
      if (this.options.signal?.aborted)
        throw abortError(`Verification of ${this.record.path} was cancelled.`);
      const index = this.next;
      const inHand = this.held.get(index);
      this.held.delete(index);
      let bytes = inHand;
      if (!bytes) {
        while (this.failure === undefined && this.readBackQueued >= MAX_READ_BACK_QUEUED) await this.wakeUp();
        this.throwIfFailed();
        this.readBackQueued++;
        bytes = await this.store.readChunk(this.record, index);
      }
      this.next++;
      this.lastUpdate = (await this.openStream()).update(bytes).then(
        () => {
          if (inHand) this.inMemory--;
          else this.readBackQueued--;
          this.wake();
        },
        (error: unknown) => this.fail(error),
      );
    }
  }

  /** Resolves at the next hash completion, release or failure. */
  private wakeUp(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((resume) => resume());
  }

  private openStream(): Promise<Sha256Stream> {
    this.stream ??= (this.options.createStream ?? createSha256Stream)();
    return this.stream;
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.wake();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

/** SHA-256 of a complete stored file, read chunk by chunk. */
export async function hashStoredFile(
  store: ChunkStore,
  record: FileRecord,
  signal?: AbortSignal,
): Promise<string> {
  const hasher = new InOrderFileHasher(store, record, () => true, { signal });
  try {
    return await hasher.digest();
  } finally {
    hasher.close();
  }
}
