import { formatBytes, isStorageFullError, QuotaError } from './errors.js';

/** The part of the browser's StorageManager the downloader uses; injectable for tests and for Node. */
export interface StorageManagerLike {
  estimate(): Promise<{ usage?: number; quota?: number }>;
  /** Window only: Workers have no persist(). */
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
}

/** navigator.storage where there is one (windows and workers), else undefined (Node 20). */
export function defaultStorageManager(): StorageManagerLike | undefined {
  return typeof navigator === 'undefined' ? undefined : navigator.storage;
}

/** Bytes the origin may still store, or undefined when the estimate says nothing. */
export async function availableBytes(storage: StorageManagerLike | undefined): Promise<number | undefined> {
  if (!storage) return undefined;
  const { usage, quota } = await storage.estimate();
  return quota === undefined ? undefined : Math.max(0, quota - (usage ?? 0));
}

/** Throws a QuotaError when `neededBytes` more will not fit. */
export async function ensureQuota(
  storage: StorageManagerLike | undefined,
  neededBytes: number,
  what: string,
): Promise<void> {
  const available = await availableBytes(storage);
  if (available !== undefined && neededBytes > available) {
    throw new QuotaError(
      `Not enough storage for ${what}: ${formatBytes(neededBytes)} still needed, ${formatBytes(available)} available`,
      neededBytes,
      available,
    );
  }
}

/** Asks the browser not to evict the weights; undefined where persistence cannot be asked for. */
export async function requestPersistence(
  storage: StorageManagerLike | undefined,
): Promise<boolean | undefined> {
  if (!storage?.persist) return undefined;
  if (await storage.persisted?.()) return true;
  return storage.persist();
}

/** The QuotaError for a store that filled up mid-download; what was stored stays. */
export async function storageFullError(
  path: string,
  neededBytes: number,
  storage: StorageManagerLike | undefined,
  cause: unknown,
): Promise<QuotaError> {
  const available = await availableBytes(storage).catch(() => undefined);
  const availableText = available === undefined ? '' : `, ${formatBytes(available)} available`;
  return new QuotaError(
    `Storage full while storing ${path}: ${formatBytes(neededBytes)} still needed${availableText}`,
    neededBytes,
    available,
    cause,
  );
}

/**
 * Runs a write to the store; a full store becomes a QuotaError stating what is still needed for `path`
 * (`neededBytes()` is asked only then).
 */
export async function writeOrQuotaError(
  write: () => Promise<void>,
  path: string,
  neededBytes: () => number,
  storage: StorageManagerLike | undefined,
): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!isStorageFullError(error)) throw error;
    throw await storageFullError(path, neededBytes(), storage, error);
  }
}
