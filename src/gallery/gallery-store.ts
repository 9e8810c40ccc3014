/**
 * Images the user keeps, in IndexedDB databases of their own (apart from the weights' store, so clearing
 * one never touches the other). Saving is quota-aware: when the origin's storage is short, `put` refuses
 * with a GalleryQuotaError that says how many of the oldest images would have to go; nothing is deleted
 * unless the caller asks (`deleteOldest`) after the user agrees.
 */
import { clear, createStore, del, get, set, values, type UseStore } from 'idb-keyval';
import type { ImageSettings } from '../image-file/index.js';
import { PipelineError } from '../pipeline/errors.js';

/** How an image was made: what the gallery shows and what "make it again" needs. */
export interface GallerySettings extends ImageSettings {
  /** Image to image only. */
  strength?: number;
}

/** One kept image as listed: everything but the full-size image. */
export interface GalleryEntry {
  id: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  settings: GallerySettings;
  thumbnail: Blob;
  /** Image plus thumbnail bytes. */
  bytes: number;
}

export interface GalleryItem extends GalleryEntry {
  /** The full image (PNG). */
  image: Blob;
}

export interface GalleryPut {
  image: Blob;
  thumbnail: Blob;
  settings: GallerySettings;
}

/** The part of StorageManager the quota check needs. */
export interface StorageEstimator {
  estimate(): Promise<StorageEstimate>;
}

export interface GalleryStoreOptions {
  /** Default 'sd-turbo-gallery' (entries) and '<name>-images' (full images). */
  databaseName?: string;
  /** Default navigator.storage; null skips the quota check. */
  storage?: StorageEstimator | null;
  /**
   * Kept free beyond the image itself, for IndexedDB's own overhead and so the weights' store is never
   * starved by the gallery (default 5 MiB).
   */
  headroomBytes?: number;
  now?: () => number;
}

/** Saving would not fit in the origin's storage quota. Code 'quota'. */
export class GalleryQuotaError extends PipelineError {
  override name = 'GalleryQuotaError';
  constructor(
    /** Bytes that must be freed for the image to fit. */
    readonly shortBytes: number,
    /** The fewest oldest images whose deletion frees that much (deleteOldest(n)); undefined if even all would not. */
    readonly oldestToDelete: number | undefined,
    readonly imageCount: number,
  ) {
    super(
      'quota',
      oldestToDelete === undefined
        ? `Not enough storage to save this image: ${shortBytes} more bytes are needed, more than all ` +
            `${imageCount} saved images hold. Free space used by other data (or sites) and try again.`
        : `Not enough storage to save this image: ${shortBytes} more bytes are needed. Deleting the ` +
            `${oldestToDelete} oldest of ${imageCount} saved image(s) would make room.`,
    );
  }
}

const DEFAULT_HEADROOM_BYTES = 5 * 1024 * 1024;

export class GalleryStore {
  private readonly entries: UseStore;
  private readonly images: UseStore;
  private readonly storage: StorageEstimator | undefined;
  private readonly headroomBytes: number;
  private readonly now: () => number;

  constructor(options: GalleryStoreOptions = {}) {
    const name = options.databaseName ?? 'sd-turbo-gallery';
    this.entries = createStore(name, 'entries');
    this.images = createStore(`${name}-images`, 'images');
    this.storage =
      options.storage === null ? undefined : (options.storage ?? globalThis.navigator?.storage ?? undefined);
    this.headroomBytes = options.headroomBytes ?? DEFAULT_HEADROOM_BYTES;
    this.now = options.now ?? Date.now;
  }

  /** Saves an image; rejects with GalleryQuotaError (deleting nothing) when storage is short. */
  async put(item: GalleryPut): Promise<GalleryEntry> {
    const bytes = item.image.size + item.thumbnail.size;
    await this.checkQuota(bytes);
    const createdAt = this.now();
    const entry: GalleryEntry = {
      id: newId(createdAt),
      createdAt,
      settings: { ...item.settings },
      thumbnail: item.thumbnail,
      bytes,
    };
    // The image first: an entry is listed only once its image is stored.
    await set(entry.id, item.image, this.images);
    await set(entry.id, entry, this.entries);
    return entry;
  }

  /** Every saved image's entry, newest first. */
  async list(): Promise<GalleryEntry[]> {
    const all = await values<GalleryEntry>(this.entries);
    return all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }

  async get(id: string): Promise<GalleryItem | undefined> {
    const entry = await get<GalleryEntry>(id, this.entries);
    if (!entry) return undefined;
    const image = await get<Blob>(id, this.images);
    return image ? { ...entry, image } : undefined;
  }

  async delete(id: string): Promise<void> {
    await del(id, this.entries);
    await del(id, this.images);
  }

  /** Deletes the n oldest images (after the user agreed); returns their ids. */
  async deleteOldest(n: number): Promise<string[]> {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
    const oldest = (await this.list()).reverse().slice(0, n);
    for (const entry of oldest) await this.delete(entry.id);
    return oldest.map((entry) => entry.id);
  }

  async clear(): Promise<void> {
    await clear(this.entries);
    await clear(this.images);
  }

  /** Bytes of every saved image and thumbnail. */
  async usage(): Promise<number> {
    return (await values<GalleryEntry>(this.entries)).reduce((sum, entry) => sum + entry.bytes, 0);
  }

  private async checkQuota(bytes: number): Promise<void> {
    if (!this.storage) return;
    const { quota, usage } = await this.storage.estimate();
    if (quota === undefined || usage === undefined) return;
    const shortBytes = bytes + this.headroomBytes - (quota - usage);
    if (shortBytes <= 0) return;
    const oldestFirst = (await this.list()).reverse();
    let freed = 0;
    let oldestToDelete: number | undefined;
    for (let i = 0; i < oldestFirst.length; i++) {
      freed += oldestFirst[i].bytes;
      if (freed >= shortBytes) {
        oldestToDelete = i + 1;
        break;
      }
    }
    throw new GalleryQuotaError(shortBytes, oldestToDelete, oldestFirst.length);
  }
}

function newId(createdAt: number): string {
  const random = globalThis.crypto?.randomUUID?.() ?? Math.floor(Math.random() * 2 ** 52).toString(36);
  return `${createdAt.toString(36)}-${random}`;
}
